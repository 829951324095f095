#pragma once
// The actions and their funders' documents (issue 12, « Funder », and the
// association's side left from issue 9). Thin handlers over
// service::DossierService (actions, documents, revisions, renditions — the
// same use cases and access rules as /v1/actions and /v1/documents) and
// service::DraftService (the budget annex and the activity report are filled
// in the generated form pages of web/form).
//
//   GET  /actions                    association: its actions; funder: the actions it funds
//   GET  /actions/nouvelle           association: the creation form (title, funders)
//   POST /actions                    association: creates the action (fields /title, /funders)
//   GET  /actions/{id}               the action, its funders' documents (budget annex, activity figures),
//                                    every revision with its PDF and XLSX; the association also sees its
//                                    drafts and starts new documents
//   POST /actions/{id}/brouillons    association: a new draft of a funders' form (_formulaire), then its page
// A funder sees the actions it funds and their funders' forms only ("personalData": false): never a
// dossier nor a household value; every other action is the French 404, as for any organisation.
#include <memory>

#include "http/HttpServer.h"
#include "service/DossierService.h"
#include "service/DraftService.h"
#include "service/OrganisationService.h"
#include "web/WebApp.h"

namespace passerelle::web {

struct FunderServices {
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::DraftService> drafts;
    std::shared_ptr<const service::OrganisationService> organisations;
};

// `app` must outlive the router. Register before addWebFallback.
void addFunderPages(http::Router& router, const WebApp& app, const FunderServices& services);

} // namespace passerelle::web
