#pragma once
// HTTP adapter: Poco handlers that parse a request, call a use case and map
// the result. One function maps every Status to an HTTP status
// (errorToHttpStatus); errors are JSON {"error", "message", "details"}.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "common/Status.h"
#include "service/Caller.h"
#include "service/RenderService.h"

namespace passerelle::http {

struct ServerConfig {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;         // 0: any free port (tests)
    std::size_t maxBodyBytes = 2 * 1024 * 1024;
    // Poco's server holds one thread per open connection, idle or not, for up to
    // timeoutSeconds while it waits for a request (keepAliveSeconds between requests).
    // The pool is sized so that a few dozen idle or slow clients cannot starve the
    // others (an idle thread costs address space, not work); past it, connections wait
    // in a queue of maxQueued and beyond that are closed.
    int maxThreads = 256;
    int maxQueued = 256;
    int keepAliveSeconds = 5;
    int timeoutSeconds = 10;
};

// What a route handler receives.
struct Request {
    std::string method;
    std::string path;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> headers; // lower-case names
    std::vector<std::string> params;            // regex captures of the route
    std::string body;
    service::Caller caller;                     // set when the router has an authenticator
    std::string clientAddress;                  // peer IP address, when the HTTP front fills it (web throttling)
};

struct Reply {
    int status = 200;
    std::string contentType = "application/json; charset=utf-8";
    std::string body;
    std::map<std::string, std::string> headers;

    static Reply json(int status, const Poco::JSON::Object::Ptr& obj);
    static Reply error(const Status& s);
};

int errorToHttpStatus(const Status& s);
Poco::JSON::Object::Ptr statusToJson(const Status& s);

using Handler = std::function<Reply(const Request&)>;

// Method + path regex → handler. A route that declares `body` receives the
// request body, size-limited and checked to be JSON.
struct Route {
    std::string method;
    std::regex pattern;
    Handler handler;
    bool jsonBody = false;
};

// Resolves the caller of a request (e.g. from "Authorization: Bearer …");
// an error status is sent as the reply (401 adds WWW-Authenticate).
using Authenticator = std::function<Result<service::Caller>(const Request&)>;

class Router {
public:
    void add(const std::string& method, const std::string& pattern, Handler h, bool jsonBody = false);
    // Finds the route; sets `methodAllowed` false when the path exists with another method.
    const Route* match(const std::string& method, const std::string& path, std::vector<std::string>& params,
                       bool& pathKnown) const;
    // Requires `auth` to succeed for every path starting with `prefix`
    // (known or not), before the body is read; the caller lands in
    // Request::caller. Without an authenticator nothing is checked.
    void requireAuthentication(Authenticator auth, std::string prefix = "/v1/");
    // The caller, or nothing when `path` needs no authentication.
    std::optional<Result<service::Caller>> authenticate(const Request& request) const;

private:
    std::vector<Route> _routes;
    Authenticator _authenticator;
    std::string _authPrefix;
};

// Routes for forms and rendering (no storage needed).
void addRenderRoutes(Router& router, std::shared_ptr<const service::RenderService> renderer);

class Server {
public:
    Server(ServerConfig config, std::shared_ptr<Router> router);
    ~Server();
    void start();
    void stop();
    unsigned short port() const;

private:
    ServerConfig _config;
    std::shared_ptr<Router> _router;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    std::unique_ptr<Poco::ThreadPool> _pool;
};

} // namespace passerelle::http
