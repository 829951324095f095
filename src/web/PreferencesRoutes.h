#pragma once
// The signed-in person's notification preferences (issue 12):
//   GET  /preferences          the kinds of e-mail, each with a checkbox (default: all on)
//   POST /preferences          fields "notifications" (one per kind kept on), _csrf
// Any signed-in user (association, bailleur, SIAO, financeur) chooses for
// themselves only; the choice is audited. `app` must outlive the router;
// register before addWebFallback.
#include <memory>

#include "http/HttpServer.h"
#include "service/MailNotifier.h"
#include "web/WebApp.h"

namespace passerelle::web {

// `mailEnabled`: whether this server sends e-mail (the page says so when not).
void addPreferencesRoutes(http::Router& router, const WebApp& app,
                          std::shared_ptr<const service::NotificationPreferences> preferences, bool mailEnabled);

} // namespace passerelle::web
