#pragma once
// The organisation admin's pages (issue 12, « Organisation admin pages »),
// beside the users page of WebRoutes. Thin handlers over
// service::OrganisationService; admins only (a member gets the French 404).
//
//   GET  /cles-api                       the organisation's API keys and the creation form
//   POST /cles-api                       creates a key (field /name); the secret is shown once, in this answer
//   POST /cles-api/{id}/revoquer         asks for confirmation; with confirmer=oui revokes, then /cles-api
//   GET  /partenariats                   the partnerships the organisation belongs to, and its partners
//   GET  /webhook, POST /webhook         a landlord's (or SIAO's) webhook: URL (field /url) and the
//                                        delivery state of the last pushes; 404 for other kinds
//   POST /webhook/secret                 a new signing secret, shown once in this answer
//   POST /webhook/essai                  a test push now, and what the webhook answered
#include <memory>

#include "http/HttpServer.h"
#include "service/OrganisationService.h"
#include "web/WebApp.h"

namespace passerelle::web {

struct AdminServices {
    std::shared_ptr<const service::OrganisationService> organisations;
};

// `app` must outlive the router. Register before addWebFallback.
void addAdminPages(http::Router& router, const WebApp& app, const AdminServices& services);

} // namespace passerelle::web
