#pragma once
// The signing pages (issue 10 in the browser; issue 11 items 4–5). Thin
// handlers over service::SigningService, service::TransmissionService and the
// autorisation evidence; the tablet page is one view for every signatory.
//
// Association (owner of the document):
//   GET  /documents/{id}/signature                  states (en attente / signé / refusé), « Faire signer », links,
//                                                   the signed PDF once complete
//   POST /documents/{id}/signature                  starts the signing (field bailleur for tripartite forms)
//   GET  /documents/{id}/signature/document.pdf     the revision being signed (« Télécharger le PDF »)
//   GET  /documents/{id}/signature/pages/{n}.svg    its page n as an image (service::PageRenditions: only when a
//                                                   fresh render proves it is the stored PDF), shown in the tablet page
//   GET  /documents/{id}/signature/{sgr}            the tablet page of one signatory (in person, witness: the user)
//   POST /documents/{id}/signature/{sgr}            luEtApprouve, image (canvas data URL) | nomSaisi, _action signer|refuser
//   POST /documents/{id}/signature/{sgr}/lien       email: sends a personal single-use link (partnership setting)
//   GET  /documents/{id}/signe.pdf                  the sealed signed PDF
//   GET  /apercus/{apc}.pdf                         the recipient copy shown before an autorisation is signed
//   GET  /documents/{id}/consentement, POST …       « enregistrer le consentement à partir de l’autorisation signée »
// Landlord:
//   GET  /signatures                                documents awaiting its signature
//   GET  /signatures/{id}, POST /signatures/{id}    the same tablet page, method account; it reads its recipient copy
//   GET  /signatures/{id}/copie.pdf                 that copy (received through the consent gate)
// Household member with a link (no account):
//   GET  /signature/{secret}, GET /signature/{secret}/document.pdf, GET /signature/{secret}/pages/{n}.svg
//   (while the link is valid; reading never spends it), POST /signature/{secret}
#include <memory>

#include "http/HttpServer.h"
#include "service/DossierService.h"
#include "service/PageRenditions.h"
#include "service/SigningService.h"
#include "service/TransmissionService.h"
#include "web/WebApp.h"

namespace passerelle::web {

struct SigningPageServices {
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::SigningService> signing;
    std::shared_ptr<const service::TransmissionService> transmissions;
    // The signed documents as page images; null: one is made over the dossiers' renderer.
    std::shared_ptr<const service::PageRenditions> pages;
};

// `app` must outlive the router. Register before addWebFallback().
void addSigningPages(http::Router& router, const WebApp& app, const SigningPageServices& services);

} // namespace passerelle::web
