#pragma once
// The pages of the web application's foundation (issue 9): sign-in and
// sign-out, change of password, dossiers (list with search and filters,
// creation, dossier page with documents and history), the organisation's
// users (admins), the home of landlord and funder users, static files, and
// the French 404 for every other path outside /v1/.
//
//   GET  /                      → /dossiers, /accueil or /connexion
//   GET  /connexion, POST /connexion (fields email, password), POST /deconnexion
//   GET  /mot-de-passe, POST /mot-de-passe
//   GET  /dossiers?q=&statut=&referent=&page=, GET /dossiers/nouveau, POST /dossiers
//   GET  /dossiers/{id}
//   GET  /accueil
//   GET  /utilisateurs, POST /utilisateurs, POST /utilisateurs/{id}/desactiver|reactiver|reinitialiser
//   GET  /static/…
// Form pages and drafts (/dossiers/{id}/documents/nouveau, /documents/{id}…)
// come from web/form (web-forms).
#include <memory>

#include "http/HttpServer.h"
#include "service/DossierService.h"
#include "service/Retention.h"
#include "service/TransmissionService.h"
#include "web/WebApp.h"

namespace passerelle::web {

struct WebServices {
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::TransmissionService> transmissions;
    // The periods the closing confirmation explains (retention.archive-after-months, …).
    service::RetentionPolicy retention{};
};

// `app` must outlive the router.
void addWebRoutes(http::Router& router, const WebApp& app, const WebServices& services);
// The catch-all French 404 page (GET and POST outside /v1/): register it LAST.
void addWebFallback(http::Router& router, const WebApp& app);

} // namespace passerelle::web
