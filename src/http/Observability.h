#pragma once
// Operations side of the HTTP adapter (issue 16):
//  - the API description (docs/openapi.json, OpenAPI 3.1) served at /v1/openapi.json and
//    as a readable page at /v1/docs, both without a key;
//  - GET /metrics in the Prometheus text format, only when a token is configured, and then
//    only with "Authorization: Bearer TOKEN";
//  - the per-request observer of the front: one JSON line per request to the Poco logger
//    "passerelle.access" (time, request id, method, route template, status, duration,
//    organisation id; never a body, a query, a header value or a cookie) and the HTTP metrics.
#include <map>
#include <memory>
#include <set>
#include <string>

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include "common/Status.h"
#include "http/HttpServer.h"

namespace passerelle::http {

// "/v1/documents/{id}/{format}" → "/v1/documents/{}/{}" (the shape Route::pathTemplate has).
std::string normalisedPath(const std::string& openApiPath);

// The API description, loaded once at start.
class ApiDescription {
public:
    // Reads and parses `file`; InvalidArgument (French, with the file) when it is not an OpenAPI 3.1 object with paths.
    static Result<std::shared_ptr<const ApiDescription>> load(const std::string& file);
    static Result<std::shared_ptr<const ApiDescription>> parse(const std::string& text, const std::string& name);

    const std::string& text() const { return _text; }
    Poco::JSON::Object::Ptr document() const { return _doc; }
    // The described path of a route template ("/v1/documents/{}/pdf" → "/v1/documents/{id}/{format}"), "" when none.
    std::string describedPath(const std::string& routeTemplate) const;
    // Whether `method` (upper case) on the route template is described.
    bool describes(const std::string& method, const std::string& routeTemplate) const;
    // The readable page (French, no script, no external asset).
    const std::string& html() const { return _html; }

private:
    std::string _text;
    Poco::JSON::Object::Ptr _doc;
    std::map<std::string, std::string> _byTemplate;              // normalised → described path
    std::map<std::string, std::set<std::string>> _methods;       // normalised → methods (upper case)
    std::string _html;
};

struct OpsSettings {
    std::string metricsToken;                     // empty: no /metrics
    std::shared_ptr<const ApiDescription> api;    // null: no /v1/openapi.json nor /v1/docs
};

// Registers /metrics, /v1/openapi.json and /v1/docs (register before a catch-all route).
void addOpsRoutes(Router& router, const OpsSettings& settings);

// The access-log line of one request (JSON, no trailing newline). `route` is the name to log.
std::string accessLogLine(const RequestRecord& record, const std::string& route);

// The front's observer: an access-log line to `accessLog` (when not null, at information level),
// a warning with the request id in "passerelle.http" for every 5xx, and the HTTP metrics.
RequestObserver requestObserver(std::shared_ptr<const ApiDescription> api, Poco::Logger* accessLog);

// Gauges of the front read at scrape time (connections, queue, workers, refusals).
void registerServerGauges(const Server& server);

} // namespace passerelle::http
