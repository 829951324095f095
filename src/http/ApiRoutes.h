#pragma once
// Routes of the stored API (issue 5): dossiers, actions, documents and their
// renditions, all behind "Authorization: Bearer <clé>".
//
//   GET   /v1/me                              the caller's organisation
//   POST  /v1/dossiers                        create (associations)
//   GET   /v1/dossiers?statut=&reference=&limit=&offset=
//   GET   /v1/dossiers/{id}
//   PATCH /v1/dossiers/{id}                   partial update; optional "version"
//   GET   /v1/dossiers/{id}/export            the household's data, a ZIP (right of access, docs/rgpd.md)
//   POST  /v1/actions                         {"title", "funders": [org ids]} (associations)
//   GET   /v1/actions, /v1/actions/{id}
//   POST  /v1/documents                       {"form", "variant"?, "dossier" | "action", "data"}
//   GET   /v1/documents?dossier=&action=&form=&limit=&offset=
//   GET   /v1/documents/{id}?revision=N       metadata + input of a revision
//   GET   /v1/documents/{id}/revisions
//   POST  /v1/documents/{id}/revisions        {"data", "variant"?, "expectedRevision"?}
//   GET   /v1/documents/{id}/pdf?revision=N   the stored file (also /xlsx)
//
// addApiRoutes() also makes the router require a valid key on every /v1/
// path, the render-only routes included; /healthz stays open.
#include <memory>

#include "http/HttpServer.h"
#include "service/DossierService.h"

namespace passerelle::http {

void addApiRoutes(Router& router, std::shared_ptr<const service::DossierService> service);

} // namespace passerelle::http
