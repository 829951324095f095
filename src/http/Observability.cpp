#include "http/Observability.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>

#include "common/Metrics.h"

namespace passerelle::http {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string esc(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        default: o += c;
        }
    }
    return o;
}

std::string str(const Object::Ptr& o, const std::string& key) {
    if (!o || !o->has(key)) return "";
    try {
        return o->getValue<std::string>(key);
    } catch (...) {
        return "";
    }
}

std::string jsonText(const Poco::Dynamic::Var& v) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(v, out, 2);
    return out.str();
}

// "#/components/schemas/Dossier" → "Dossier".
std::string refName(const std::string& ref) {
    auto p = ref.rfind('/');
    return p == std::string::npos ? ref : ref.substr(p + 1);
}

// A short text for a schema: its $ref as a link, or its type.
std::string schemaSummary(const Object::Ptr& schema) {
    if (!schema) return "";
    std::string ref = str(schema, "$ref");
    if (!ref.empty()) return "<a href=\"#schema-" + esc(refName(ref)) + "\">" + esc(refName(ref)) + "</a>";
    if (schema->has("type")) {
        auto t = schema->get("type");
        std::string type = t.isString() ? t.toString() : jsonText(t);
        if (type == "array") {
            auto items = schema->getObject("items");
            return "tableau de " + schemaSummary(items);
        }
        return esc(type);
    }
    for (const char* k : {"oneOf", "anyOf", "allOf"})
        if (auto arr = schema->getArray(k)) {
            std::string s;
            for (unsigned i = 0; i < arr->size(); ++i) s += (i ? " | " : "") + schemaSummary(arr->getObject(i));
            return s;
        }
    return "valeur JSON";
}

std::string renderHtml(const Object::Ptr& doc) {
    auto info = doc->getObject("info");
    std::string title = str(info, "title");
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
    h += "<title>" + esc(title) + " — description de l’API</title><style>"
         "body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;line-height:1.45;color:#1b1b1b}"
         "code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f3f3f3;padding:.6rem;overflow:auto}"
         "section.op{border-top:1px solid #ccc;padding:.4rem 0}.m{display:inline-block;min-width:4.5rem;font-weight:700}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}"
         "a{color:#0b4f9c}</style></head><body>\n";
    h += "<h1>" + esc(title) + " <small>" + esc(str(info, "version")) + "</small></h1>\n";
    h += "<p>" + esc(str(info, "description")) + "</p>\n";
    h += "<p>Description lisible par machine : <a href=\"/v1/openapi.json\">/v1/openapi.json</a> (OpenAPI 3.1).</p>\n";
    auto paths = doc->getObject("paths");
    // Operations grouped by their first tag, in the order of the document's "tags", paths in file order.
    std::vector<std::string> tags;
    if (auto t = doc->getArray("tags"))
        for (unsigned i = 0; i < t->size(); ++i) tags.push_back(str(t->getObject(i), "name"));
    h += "<nav><p>Sommaire :";
    for (const auto& t : tags) h += " <a href=\"#tag-" + esc(t) + "\">" + esc(t) + "</a>";
    h += " <a href=\"#schemas\">schémas</a></p></nav>\n";
    auto firstTag = [](const Object::Ptr& op) {
        auto t = op->getArray("tags");
        return t && t->size() ? t->getElement<std::string>(0) : std::string();
    };
    for (const auto& tag : tags) {
        if (!paths) break;
        h += "<h2 id=\"tag-" + esc(tag) + "\">" + esc(tag) + "</h2>\n";
        for (const auto& path : paths->getNames()) {
            auto ops = paths->getObject(path);
            for (const char* m : {"get", "post", "put", "patch", "delete"}) {
                auto op = ops->getObject(m);
                if (!op || firstTag(op) != tag) continue;
                std::string id = str(op, "operationId");
                h += "<section class=\"op\" id=\"" + esc(id) + "\"><h3><span class=\"m\">" + Poco::toUpper(std::string(m)) +
                     "</span> <code>" + esc(path) + "</code></h3>\n";
                h += "<p><strong>" + esc(str(op, "summary")) + "</strong></p>\n";
                if (!str(op, "description").empty()) h += "<p>" + esc(str(op, "description")) + "</p>\n";
                if (auto params = op->getArray("parameters"); params && params->size()) {
                    h += "<table><tr><th>paramètre</th><th>où</th><th>type</th><th>description</th></tr>\n";
                    for (unsigned i = 0; i < params->size(); ++i) {
                        auto p = params->getObject(i);
                        h += "<tr><td><code>" + esc(str(p, "name")) + "</code>" +
                             (p->optValue<bool>("required", false) ? " (obligatoire)" : "") + "</td><td>" + esc(str(p, "in")) +
                             "</td><td>" + schemaSummary(p->getObject("schema")) + "</td><td>" + esc(str(p, "description")) +
                             "</td></tr>\n";
                    }
                    h += "</table>\n";
                }
                if (auto body = op->getObject("requestBody")) {
                    h += "<p>Corps : ";
                    if (auto content = body->getObject("content"))
                        for (const auto& [type, media] : *content)
                            h += "<code>" + esc(type) + "</code> " +
                                 schemaSummary(media.extract<Object::Ptr>()->getObject("schema")) + " ";
                    h += "</p>\n";
                }
                if (auto responses = op->getObject("responses")) {
                    h += "<ul>\n";
                    for (const auto& [code, resp] : *responses) {
                        auto r = resp.extract<Object::Ptr>();
                        h += "<li><code>" + esc(code) + "</code> " + esc(str(r, "description"));
                        if (auto content = r->getObject("content"))
                            for (const auto& [type, media] : *content)
                                h += " — <code>" + esc(type) + "</code> " +
                                     schemaSummary(media.extract<Object::Ptr>()->getObject("schema"));
                        h += "</li>\n";
                    }
                    h += "</ul>\n";
                }
                h += "</section>\n";
            }
        }
    }
    h += "<h2 id=\"schemas\">Schémas</h2>\n";
    if (auto comps = doc->getObject("components"))
        if (auto schemas = comps->getObject("schemas"))
            for (const auto& name : schemas->getNames()) {
                auto schema = schemas->get(name);
                h += "<section id=\"schema-" + esc(name) + "\"><h3>" + esc(name) + "</h3>\n";
                auto s = schema.extract<Object::Ptr>();
                if (!str(s, "description").empty()) h += "<p>" + esc(str(s, "description")) + "</p>\n";
                h += "<pre>" + esc(jsonText(schema)) + "</pre></section>\n";
            }
    h += "</body></html>\n";
    return h;
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
    if (a.size() != b.size() || b.empty()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string utcNow() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
    return out;
}

std::string jsonString(const std::string& s) {
    std::string o = "\"";
    for (unsigned char c : s) {
        if (c == '"') o += "\\\"";
        else if (c == '\\') o += "\\\\";
        else if (c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            o += b;
        } else o += static_cast<char>(c);
    }
    return o + "\"";
}

const std::set<std::string>& knownMethods() {
    static const std::set<std::string> m = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
    return m;
}

} // namespace

std::string normalisedPath(const std::string& openApiPath) {
    std::string out;
    for (std::size_t i = 0; i < openApiPath.size(); ++i) {
        if (openApiPath[i] == '{') {
            auto close = openApiPath.find('}', i);
            if (close == std::string::npos) return out + openApiPath.substr(i);
            out += "{}";
            i = close;
        } else out += openApiPath[i];
    }
    return out;
}

Result<std::shared_ptr<const ApiDescription>> ApiDescription::load(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::notFound("openapi_not_found", "Description de l’API introuvable : " + file);
    std::stringstream buf;
    buf << in.rdbuf();
    return parse(buf.str(), file);
}

Result<std::shared_ptr<const ApiDescription>> ApiDescription::parse(const std::string& text, const std::string& name) {
    auto d = std::make_shared<ApiDescription>();
    d->_text = text;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
        d->_doc = parser.parse(text).extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
        return Status::invalidArgument("openapi_invalid", "Description de l’API illisible : " + name + " (" + e.displayText() + ")");
    }
    if (str(d->_doc, "openapi").rfind("3.1", 0) != 0 || !d->_doc->getObject("paths"))
        return Status::invalidArgument("openapi_invalid", "Description de l’API invalide : " + name +
                                                              " (« openapi » doit valoir 3.1.x et « paths » être un objet).");
    for (const auto& [path, item] : *d->_doc->getObject("paths")) {
        std::string n = normalisedPath(path);
        d->_byTemplate[n] = path;
        auto ops = item.extract<Object::Ptr>();
        for (const char* m : {"get", "post", "put", "patch", "delete"})
            if (ops->has(m)) d->_methods[n].insert(Poco::toUpper(std::string(m)));
    }
    d->_html = renderHtml(d->_doc);
    return std::shared_ptr<const ApiDescription>(std::move(d));
}

std::string ApiDescription::describedPath(const std::string& routeTemplate) const {
    auto it = _byTemplate.find(routeTemplate);
    return it == _byTemplate.end() ? "" : it->second;
}

bool ApiDescription::describes(const std::string& method, const std::string& routeTemplate) const {
    auto it = _methods.find(routeTemplate);
    return it != _methods.end() && it->second.count(method) > 0;
}

void addOpsRoutes(Router& router, const OpsSettings& settings) {
    if (!settings.metricsToken.empty()) {
        const std::string token = settings.metricsToken;
        router.add("GET", "/metrics", [token](const Request& r) {
            auto it = r.headers.find("authorization");
            const std::string given = it == r.headers.end() ? "" : it->second;
            const std::string prefix = "Bearer ";
            if (given.compare(0, prefix.size(), prefix) != 0 || !constantTimeEquals(given.substr(prefix.size()), token)) {
                Reply rep = Reply::error(Status::unauthenticated(
                    "metrics_unauthorized", "Jeton des métriques absent ou invalide (Authorization: Bearer JETON)."));
                rep.headers["WWW-Authenticate"] = "Bearer realm=\"passerelle-metrics\"";
                return rep;
            }
            Reply rep;
            rep.contentType = "text/plain; version=0.0.4; charset=utf-8";
            rep.body = metrics::Registry::global().render();
            rep.headers["Cache-Control"] = "no-store";
            return rep;
        });
    }
    if (auto api = settings.api) {
        router.allowAnonymous("/v1/openapi.json");
        router.allowAnonymous("/v1/docs");
        router.add("GET", "/v1/openapi\\.json", [api](const Request&) {
            Reply rep;
            rep.contentType = "application/json; charset=utf-8";
            rep.body = api->text();
            return rep;
        });
        router.add("GET", "/v1/docs", [api](const Request&) {
            Reply rep;
            rep.contentType = "text/html; charset=utf-8";
            rep.body = api->html();
            rep.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
            rep.headers["X-Content-Type-Options"] = "nosniff";
            rep.headers["Referrer-Policy"] = "no-referrer";
            return rep;
        });
    }
}

std::string accessLogLine(const RequestRecord& r, const std::string& route) {
    std::string s = "{\"time\":" + jsonString(utcNow());
    s += ",\"requestId\":" + jsonString(r.requestId);
    s += ",\"method\":" + jsonString(knownMethods().count(r.method) ? r.method : std::string(r.method.empty() ? "" : "other"));
    s += ",\"route\":" + jsonString(route);
    s += ",\"status\":" + std::to_string(r.status);
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", r.durationSeconds * 1000.0);
    s += ",\"durationMs\":" + std::string(ms);
    s += ",\"organisation\":" + (r.organisationId.empty() ? std::string("null") : jsonString(r.organisationId));
    s += ",\"requestBytes\":" + std::to_string(r.requestBytes);
    s += ",\"responseBytes\":" + std::to_string(r.responseBytes);
    if (r.cancelled) s += ",\"clientGone\":true";
    return s + "}";
}

RequestObserver requestObserver(std::shared_ptr<const ApiDescription> api, Poco::Logger* accessLog) {
    Poco::Logger* errors = &Poco::Logger::get("passerelle.http");
    return [api, accessLog, errors](const RequestRecord& r) {
        std::string route = r.route;
        if (api && !route.empty()) {
            std::string described = api->describedPath(route);
            if (!described.empty()) route = described;
        }
        if (route.empty()) route = "(aucune)";
        const std::string method = knownMethods().count(r.method) ? r.method : r.method.empty() ? "(aucune)" : "other";
        const std::string status = std::to_string(r.status);
        metrics::inc("passerelle_http_requests_total", {{"method", method}, {"route", route}, {"status", status}});
        metrics::observe("passerelle_http_request_duration_seconds", {{"method", method}, {"route", route}}, r.durationSeconds);
        if (r.status == 429) metrics::inc("passerelle_http_throttled_total", {{"route", route}});
        if (accessLog && accessLog->information()) accessLog->information(accessLogLine(r, route));
        if (r.status >= 500)
            errors->warning("requête " + r.requestId + " " + method + " " + route + " : statut " + status);
    };
}

void registerServerGauges(const Server& server) {
    auto& reg = metrics::Registry::global();
    const Server* s = &server;
    reg.gauge("passerelle_http_connections", "Connexions HTTP ouvertes.",
              [s] { return std::vector<std::pair<metrics::Labels, double>>{{{}, double(s->stats().connections)}}; });
    reg.gauge("passerelle_http_queued_requests", "Requêtes en attente d’un thread.",
              [s] { return std::vector<std::pair<metrics::Labels, double>>{{{}, double(s->stats().queued)}}; });
    reg.gauge("passerelle_http_busy_workers", "Threads occupés à traiter une requête.",
              [s] { return std::vector<std::pair<metrics::Labels, double>>{{{}, double(s->stats().busyWorkers)}}; });
    reg.gauge("passerelle_http_workers", "Threads de traitement des requêtes.",
              [s] { return std::vector<std::pair<metrics::Labels, double>>{{{}, double(s->config().workers)}}; });
    reg.gauge("passerelle_http_pending_response_bytes", "Octets de réponses pas encore envoyés.",
              [s] { return std::vector<std::pair<metrics::Labels, double>>{{{}, double(s->stats().pendingResponseBytes)}}; });
    reg.gauge(
        "passerelle_http_refused_total",
        "Refus du front HTTP par raison : saturated (429, file ou mémoire pleine), connections (trop de connexions), "
        "slow_reader (réponse non lue à temps), timeout (408).",
        [s] {
            auto st = s->stats();
            return std::vector<std::pair<metrics::Labels, double>>{
                {{{"reason", "saturated"}}, double(st.rejectedSaturated)},
                {{{"reason", "connections"}}, double(st.rejectedConnections)},
                {{{"reason", "slow_reader"}}, double(st.closedSlowReaders)},
                {{{"reason", "timeout"}}, double(st.closedHeadTimeouts)}};
        },
        "counter");
}

} // namespace passerelle::http
