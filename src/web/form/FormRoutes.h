#pragma once
// The form pages (issue 9, items 3–5): new document, drafts, preview,
// finalise, documents and their revisions. Thin handlers over
// service::DraftService and service::DossierService; the page itself is
// generated from the form definition by FormPage.
//
//   GET  /dossiers/{id}/documents/nouveau?formulaire=F[&modele=V]
//                                  the empty form (or the choice of the variant when F has several)
//   POST /dossiers/{id}/brouillons  creates the draft from the posted page, then as POST /brouillons/{id}
//   GET  /dossiers/{id}/brouillons  the dossier's open drafts
//   GET  /brouillons/{id}           the draft's page
//   POST /brouillons/{id}           saves what was posted, then `_action`: save (default), add:/ptr,
//                                   remove:/ptr/N (table rows without JavaScript), apercu, finaliser
//   POST /brouillons/{id}/enregistrer   autosave (script): JSON {"version", "savedAt"}
//   POST /brouillons/{id}/verifier      inline validation (script): JSON {"errors": [{path, id, message}]}
//   GET  /brouillons/{id}/apercu        the preview page; /apercu.pdf, /apercu.xlsx the files
//   GET  /documents/{id}[?revision=N]    a document, its revisions and downloads
//   GET  /documents/{id}/revisions/{n}.{pdf|xlsx}   a stored rendition
//   POST /documents/{id}/revisions      starts a draft of a new revision from the current values
#include <memory>

#include "http/HttpServer.h"
#include "service/DraftService.h"
#include "web/WebApp.h"

namespace passerelle::web {

struct FormServices {
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::DraftService> drafts;
};

// `app` must outlive the router. Register before addWebFallback().
void addFormRoutes(http::Router& router, const WebApp& app, const FormServices& services);

} // namespace passerelle::web
