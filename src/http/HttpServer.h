#pragma once
// HTTP adapter: route handlers that parse a request, call a use case and map
// the result, behind an event-driven HTTP/1.1 front (HttpFront.cpp). One function maps every Status to an HTTP status
// (errorToHttpStatus); errors are JSON {"error", "message", "details"}.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "service/Caller.h"
#include "service/RenderService.h"

namespace passerelle::http {

// Sizing and limits of the HTTP front (see docs/operations.md for the figures).
// One I/O thread multiplexes every connection (epoll); complete requests go to
// a fixed pool of `workers` through a queue of `queueLength`; when the queue is
// full the front answers 429 with Retry-After at once. A value of 0 means
// "derived from the core count" (resolved()).
struct ServerConfig {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;         // 0: any free port (tests)
    std::size_t maxBodyBytes = 2 * 1024 * 1024;
    // Kept for source compatibility with the thread-per-connection server: unused.
    int maxThreads = 256;
    int maxQueued = 256;
    int keepAliveSeconds = 5;           // idle time allowed between requests (and before the first byte)
    int timeoutSeconds = 10;            // total time to receive a request head, from its first byte
    // Worker pool and queue.
    int workers = 0;                    // 0: 2 × cores (min 2)
    int queueLength = 0;                // 0: 32 × workers (min 64)
    // Connections.
    int maxConnections = 0;             // 0: 10 000, lowered to fit RLIMIT_NOFILE
    int maxConnectionsPerClient = 256;  // per remote address; 0: no limit (behind a reverse proxy)
    int bodyTimeoutSeconds = 30;        // total time to receive a body once its head is accepted
    int writeTimeoutSeconds = 10;       // a response that makes no progress for this long is dropped
    int drainSeconds = 10;              // stop(): time given to in-flight requests
    // Request heads.
    std::size_t maxRequestLineBytes = 8 * 1024;   // 414 beyond
    std::size_t maxHeaderBytes = 32 * 1024;       // 431 beyond (request line included)
    int maxHeaderCount = 100;                     // 431 beyond
    // Responses not yet sent, all connections together; past it new requests get 429.
    std::size_t maxPendingResponseBytes = 64 * 1024 * 1024;
    // SO_SNDBUF of each connection; 0: the kernel's autotuning (up to net.ipv4.tcp_wmem's maximum).
    int socketSendBufferBytes = 0;
    // After a request whose body or reply exceeds this, malloc_trim(0) runs when a worker is next idle
    // (≤ 1 s), so that the memory of a heavy request goes back to the system (0: never). docs/operations.md.
    std::size_t trimAfterRequestBytes = 1024 * 1024;
    // Time limit of one request in a worker (rendering stops at the next check; 503 render_timeout).
    int requestTimeoutMs = 10000;

    // This configuration with every 0 replaced by its derived value.
    ServerConfig resolved() const;
};

// What the front is doing right now (tests, logs).
struct ServerStats {
    std::size_t connections = 0;
    std::size_t queued = 0;               // requests waiting for a worker
    std::size_t busyWorkers = 0;
    std::size_t pendingResponseBytes = 0; // responses not yet written to the sockets
    std::uint64_t requests = 0;           // complete requests dispatched
    std::uint64_t rejectedSaturated = 0;  // 429 because the queue or the response memory was full
    std::uint64_t rejectedConnections = 0; // connections refused (total or per-client limit)
    std::uint64_t closedSlowReaders = 0;  // responses dropped after writeTimeoutSeconds without progress
    std::uint64_t closedHeadTimeouts = 0; // heads or bodies not received in time (408)
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
    std::string clientAddress;                  // the peer's IP address (signatures and sign-in throttling record it)
    std::string requestId;                      // X-Request-Id: the client's when valid, else generated (logs carry it)
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
    // Runs on the I/O thread, never queued (health probes answer under saturation).
    // REQUIRES: the handler neither blocks nor takes more than microseconds.
    bool inlineCheap = false;
    // The path with every capture group replaced by "{}" and escapes removed, e.g.
    // "/v1/documents/{}/pdf" (routeTemplate()): what metrics, logs and the OpenAPI coverage name it by.
    std::string pathTemplate;
    // A larger request body than the server's limit (ServerConfig::maxBodyBytes) for this route
    // only, e.g. a scanned paper autorisation; 0: the server's limit.
    std::size_t maxBodyBytes = 0;
};

// "^/v1/documents/([A-Za-z0-9_-]{1,64})/signed\\.pdf$" → "/v1/documents/{}/signed.pdf".
std::string routeTemplate(const std::string& pattern);

// What the front reports once per request, when its reply is ready (access log, metrics).
// Holds no body, no header value, no query: nothing personal.
struct RequestRecord {
    std::string requestId;
    std::string method;
    std::string route;           // Route::pathTemplate; "" when no route matched
    int status = 0;
    double durationSeconds = 0;  // from the complete head (or the first byte of a refused one) to the reply
    std::string organisationId;  // the authenticated caller's organisation, "" otherwise
    std::size_t requestBytes = 0;
    std::size_t responseBytes = 0;
    bool cancelled = false;      // the client went away before its reply
};
using RequestObserver = std::function<void(const RequestRecord&)>;

// Resolves the caller of a request (e.g. from "Authorization: Bearer …");
// an error status is sent as the reply (401 adds WWW-Authenticate).
using Authenticator = std::function<Result<service::Caller>(const Request&)>;

class Router {
public:
    void add(const std::string& method, const std::string& pattern, Handler h, bool jsonBody = false);
    // A route answered on the I/O thread (see Route::inlineCheap); no authentication, no body.
    void addInline(const std::string& method, const std::string& pattern, Handler h);
    // Lets the routes a request for (method, path) would take accept bodies up to `bytes`
    // (above the server's limit): `path` is an example path of the route, e.g.
    // "/v1/documents/doc_0123456789abcdef/scan". Returns how many routes it changed.
    int allowBody(const std::string& method, const std::string& examplePath, std::size_t bytes);
    // Finds the route (HEAD finds the GET route); sets `pathKnown` when the path exists with another method.
    const Route* match(const std::string& method, const std::string& path, std::vector<std::string>& params,
                       bool& pathKnown) const;
    // The methods `path` answers ("GET, HEAD, POST"; HEAD wherever GET is), for a 405's Allow header.
    std::string allowedMethods(const std::string& path) const;
    // Requires `auth` to succeed for every path starting with `prefix`
    // (known or not), before the body is read; the caller lands in
    // Request::caller. Without an authenticator nothing is checked.
    void requireAuthentication(Authenticator auth, std::string prefix = "/v1/");
    // The caller, or nothing when `path` needs no authentication.
    std::optional<Result<service::Caller>> authenticate(const Request& request) const;
    // True when authenticate() would call the authenticator for `path`.
    bool requiresAuthentication(const std::string& path) const;
    // `path` (exact) needs no key even under the authenticated prefix (the API description).
    void allowAnonymous(const std::string& path);
    // Every route, in registration order (OpenAPI coverage, `serve --list-routes`).
    const std::vector<Route>& routes() const { return _routes; }

private:
    std::vector<Route> _routes;
    std::vector<std::string> _anonymous;
    Authenticator _authenticator;
    std::string _authPrefix;
};

// Routes for forms and rendering (no storage needed).
void addRenderRoutes(Router& router, std::shared_ptr<const service::RenderService> renderer);

// The HTTP/1.1 server: an event-driven front (one epoll I/O thread) and a fixed
// worker pool. Owns its threads; start() once, stop() once (also the destructor).
// stop() drains: it stops accepting, closes idle connections, lets in-flight
// requests finish (at most drainSeconds) and then closes everything.
// Thread-safe: stats() and stop() may be called from any thread.
class Server {
public:
    Server(ServerConfig config, std::shared_ptr<Router> router);
    ~Server();
    void start();
    void stop();
    unsigned short port() const;
    ServerStats stats() const;
    // The configuration in use (after start(): resolved).
    const ServerConfig& config() const { return _config; }
    // Called on the I/O thread once per request (keep it short); set before start().
    void setObserver(RequestObserver observer) { _observer = std::move(observer); }

    struct Impl;

private:
    ServerConfig _config;
    std::shared_ptr<Router> _router;
    RequestObserver _observer;
    std::unique_ptr<Impl> _impl;
};

} // namespace passerelle::http
