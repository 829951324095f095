#include "web/StaticFiles.h"

#include <fstream>
#include <map>
#include <sstream>

#include "storage/ApiKeys.h"
#include "web/WebApp.h"

namespace passerelle::web {

namespace {

const std::map<std::string, std::string>& contentTypes() {
    static const std::map<std::string, std::string> types = {
        {"css", "text/css; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
        {"svg", "image/svg+xml"},          {"png", "image/png"},                      {"ico", "image/x-icon"},
        {"woff2", "font/woff2"},            {"txt", "text/plain; charset=utf-8"},
    };
    return types;
}

} // namespace

void addStaticRoutes(http::Router& router, const WebApp& app, const std::string& staticDir) {
    const std::string pattern = "/static/((?:[a-z0-9_-]+/)?[a-z0-9_-]+(?:\\.[a-z0-9_-]+)*\\.([a-z0-9]+))";
    app.page(router, "GET", pattern, [&app, staticDir](Page& page) {
        const std::string& name = page.request.params[0];
        const std::string& ext = page.request.params[1];
        auto type = contentTypes().find(ext);
        if (type == contentTypes().end()) return app.notFound(page);
        std::ifstream in(staticDir + "/" + name, std::ios::binary);
        if (!in) return app.notFound(page);
        std::stringstream buf;
        buf << in.rdbuf();
        http::Reply r;
        r.body = buf.str();
        const std::string etag = "\"" + storage::sha256Hex(r.body).substr(0, 32) + "\"";
        r.headers["Cache-Control"] = "public, max-age=3600, must-revalidate";
        r.headers["ETag"] = etag;
        auto inm = page.request.headers.find("if-none-match");
        if (inm != page.request.headers.end() && inm->second == etag) {
            r.status = 304;
            r.body.clear();
        }
        r.contentType = type->second;
        return r;
    }, Access::Public);
}

} // namespace passerelle::web
