#pragma once
// Static assets of the web pages (web/static/: stylesheet, small scripts,
// icons), served under /static/. Only names made of lower-case letters,
// digits, '-', '_' and '.', in at most one sub-folder, with a known
// extension are served (no "..", no hidden file): anything else is 404.
// Answers carry Cache-Control (1 hour, revalidated) and an ETag.
#include <memory>
#include <string>

#include "http/HttpServer.h"

namespace passerelle::web {

class WebApp;

// Registers GET /static/… on `router`.
void addStaticRoutes(http::Router& router, const WebApp& app, const std::string& staticDir);

} // namespace passerelle::web
