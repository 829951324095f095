#pragma once
// A real HTTP server in-process with the render routes (no authentication) over the
// repository's catalog, on a free port (port 0), started. Header-only: link passerelle_http.
#include <memory>

#include "http/HttpServer.h"
#include "support/TestSupport.h"

namespace passerelle::testing {

// `config` as given (the shipped defaults unless changed), but on port 0.
inline std::unique_ptr<http::Server> startRenderServer(http::ServerConfig config = {}) {
    auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
    auto router = std::make_shared<http::Router>();
    http::addRenderRoutes(*router, renderer);
    config.port = 0;
    auto server = std::make_unique<http::Server>(config, router);
    server->start();
    return server;
}

} // namespace passerelle::testing
