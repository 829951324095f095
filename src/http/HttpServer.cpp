#include "http/HttpServer.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "forms/FormRegistry.h"

namespace passerelle::http {

int errorToHttpStatus(const Status& s) {
    switch (s.code()) {
    case Status::Code::Ok: return 200;
    case Status::Code::InvalidArgument: return 400;
    case Status::Code::Unauthenticated: return 401;
    case Status::Code::PermissionDenied: return 403;
    case Status::Code::NotFound: return 404;
    case Status::Code::FailedPrecondition: return 409;
    case Status::Code::PayloadTooLarge: return 413;
    case Status::Code::UnsupportedMedia: return 415;
    case Status::Code::Internal: return 500;
    }
    return 500;
}

Poco::JSON::Object::Ptr statusToJson(const Status& s) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("error", s.errorCode());
    o->set("message", s.message());
    Poco::JSON::Array::Ptr details = new Poco::JSON::Array;
    for (const auto& d : s.details()) {
        Poco::JSON::Object::Ptr e = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        e->set("path", d.path);
        e->set("rule", d.rule);
        e->set("message", d.message);
        details->add(e);
    }
    o->set("details", details);
    return o;
}

Reply Reply::json(int status, const Poco::JSON::Object::Ptr& obj) {
    Reply r;
    r.status = status;
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(obj, out);
    r.body = out.str();
    return r;
}

Reply Reply::error(const Status& s) { return json(errorToHttpStatus(s), statusToJson(s)); }

void Router::add(const std::string& method, const std::string& pattern, Handler h, bool jsonBody) {
    _routes.push_back({method, std::regex("^" + pattern + "$"), std::move(h), jsonBody});
}

const Route* Router::match(const std::string& method, const std::string& path, std::vector<std::string>& params,
                           bool& pathKnown) const {
    pathKnown = false;
    for (const auto& r : _routes) {
        std::smatch m;
        if (!std::regex_match(path, m, r.pattern)) continue;
        pathKnown = true;
        if (r.method != method) continue;
        params.clear();
        for (std::size_t i = 1; i < m.size(); ++i) params.push_back(m[i].str());
        return &r;
    }
    return nullptr;
}

void Router::requireAuthentication(Authenticator auth, std::string prefix) {
    _authenticator = std::move(auth);
    _authPrefix = std::move(prefix);
}

std::optional<Result<service::Caller>> Router::authenticate(const Request& request) const {
    if (!_authenticator || request.path.compare(0, _authPrefix.size(), _authPrefix) != 0) return std::nullopt;
    return _authenticator(request);
}

namespace {

class Dispatcher : public Poco::Net::HTTPRequestHandler {
public:
    Dispatcher(std::shared_ptr<Router> router, const ServerConfig& config) : _router(std::move(router)), _config(config) {}

    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        Reply reply;
        try {
            reply = dispatch(req, resp);
        } catch (const std::exception& e) {
            reply = Reply::error(Status::internal("internal", "Erreur interne du service."));
        } catch (...) {
            reply = Reply::error(Status::internal("internal", "Erreur interne du service."));
        }
        try {
            resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
            resp.setContentType(reply.contentType);
            for (const auto& [k, v] : reply.headers) resp.set(k, v);
            resp.setContentLength(static_cast<std::streamsize>(reply.body.size()));
            // Whole body in one go: a document is never sent half-way.
            resp.sendBuffer(reply.body.data(), reply.body.size());
        } catch (...) {
            // The client went away; nothing more to do.
        }
    }

private:
    std::shared_ptr<Router> _router;
    const ServerConfig& _config;

    Reply dispatch(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
        Request r;
        r.method = req.getMethod();
        r.clientAddress = req.clientAddress().host().toString();
        Poco::URI uri;
        try {
            uri = Poco::URI(req.getURI());
            r.path = uri.getPath();
            for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
        } catch (const Poco::Exception&) {
            return Reply::error(Status::invalidArgument("bad_uri", "Adresse de requête invalide."));
        }
        for (const auto& [k, v] : req) r.headers[Poco::toLower(k)] = v;
        // Authentication first: an unauthenticated client learns nothing, not even which paths exist.
        if (auto caller = _router->authenticate(r)) {
            if (!caller->isOk()) {
                Reply rep = Reply::error(caller->status());
                if (rep.status == 401) rep.headers["WWW-Authenticate"] = "Bearer realm=\"passerelle\"";
                resp.setKeepAlive(false); // the body, if any, is not read
                return rep;
            }
            r.caller = caller->value();
        }
        bool pathKnown = false;
        const Route* route = _router->match(r.method, r.path, r.params, pathKnown);
        if (!route) {
            if (pathKnown) {
                Reply rep = Reply::error(Status::invalidArgument("method_not_allowed", "Méthode non autorisée pour cette adresse."));
                rep.status = 405;
                return rep;
            }
            return Reply::error(Status::notFound("not_found", "Adresse inconnue : " + r.path));
        }
        if (route->jsonBody || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
            auto st = readBody(req, resp, r.body);
            if (!st.isOk()) return Reply::error(st);
            // A body must be JSON; an empty one (an action such as a withdrawal) needs no Content-Type.
            if (route->jsonBody && !r.body.empty()) {
                std::string ct = Poco::toLower(req.getContentType());
                if (ct.compare(0, 16, "application/json") != 0)
                    return Reply::error(Status::unsupportedMedia("unsupported_media_type",
                                                                 "Le corps doit être du JSON (Content-Type: application/json)."));
            }
        }
        return route->handler(r);
    }

    Status readBody(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, std::string& body) {
        const std::size_t limit = _config.maxBodyBytes;
        auto tooLarge = [&] {
            // Read and discard what the client is still sending (up to a bound), so that closing the
            // connection after the 413 does not reset it before the client has read the answer.
            constexpr std::size_t kDrainBytes = 16 * 1024 * 1024;
            std::istream& rest = req.stream();
            char sink[16384];
            std::size_t drained = 0;
            while (rest && drained < kDrainBytes) {
                rest.read(sink, sizeof sink);
                if (rest.gcount() <= 0) break;
                drained += static_cast<std::size_t>(rest.gcount());
            }
            resp.setKeepAlive(false);
            return Status::payloadTooLarge("payload_too_large",
                                           "Corps de requête trop volumineux (maximum " + std::to_string(limit) + " octets).");
        };
        if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(limit)) return tooLarge();
        std::istream& in = req.stream();
        char buf[16384];
        while (in) {
            in.read(buf, sizeof buf);
            std::streamsize n = in.gcount();
            if (n <= 0) break;
            if (body.size() + static_cast<std::size_t>(n) > limit) return tooLarge();
            body.append(buf, static_cast<std::size_t>(n));
        }
        // The client announced more than it sent (it stopped or went away): what arrived may still be
        // valid JSON, but it is not what was meant. Refuse it rather than render or store it.
        if (req.hasContentLength() && static_cast<Poco::Int64>(body.size()) != req.getContentLength64()) {
            resp.setKeepAlive(false);
            return Status::invalidArgument("body_incomplete", "Corps de requête incomplet : " +
                                                                  std::to_string(req.getContentLength64()) + " octets annoncés, " +
                                                                  std::to_string(body.size()) + " reçus.");
        }
        return Status::ok();
    }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Factory(std::shared_ptr<Router> router, const ServerConfig& config) : _router(std::move(router)), _config(config) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Dispatcher(_router, _config);
    }

private:
    std::shared_ptr<Router> _router;
    const ServerConfig& _config;
};

std::string contentDisposition(const std::string& fileName) {
    return "attachment; filename=\"" + fileName + "\"";
}

} // namespace

void addRenderRoutes(Router& router, std::shared_ptr<const service::RenderService> renderer) {
    router.add("GET", "/healthz", [](const Request&) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("status", "ok");
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/forms", [renderer](const Request&) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
        for (const auto& def : renderer->catalog().forms->all()) arr->add(forms::formDefToJson(*def));
        o->set("forms", arr);
        return Reply::json(200, o);
    });
    router.add("GET", "/v1/forms/([a-z0-9-]{1,64})", [renderer](const Request& r) {
        auto def = renderer->catalog().forms->find(r.params[0]);
        if (!def) return Reply::error(Status::notFound("form_not_found", "Formulaire inconnu : « " + r.params[0] + " »."));
        return Reply::json(200, forms::formDefToJson(*def));
    });
    router.add("POST", "/v1/validate/([^/]{1,64})", [renderer](const Request& r) {
        auto json = forms::parseJsonObject(r.body);
        if (!json.isOk()) return Reply::error(json.status());
        auto filled = renderer->validate(r.params[0], json.value());
        if (!filled.isOk()) return Reply::error(filled.status());
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("valid", true);
        return Reply::json(200, o);
    }, true);
    router.add("POST", "/v1/render/([^/]{1,64})", [renderer](const Request& r) {
        auto json = forms::parseJsonObject(r.body);
        service::RenderRequest req;
        req.form = r.params[0];
        auto q = r.query.find("format");
        req.format = q == r.query.end() ? "pdf" : q->second;
        auto v = r.query.find("variant");
        if (v != r.query.end()) req.variant = v->second;
        if (!renderer->catalog().forms->find(req.form))
            return Reply::error(Status::notFound("form_not_found", "Formulaire inconnu : « " + req.form + " »."));
        if (!json.isOk()) return Reply::error(json.status());
        req.data = json.value();
        auto rendered = renderer->render(req);
        if (!rendered.isOk()) return Reply::error(rendered.status());
        Reply rep;
        rep.status = 200;
        rep.contentType = rendered.value().contentType;
        rep.body = std::move(rendered.value().bytes);
        rep.headers["Content-Disposition"] = contentDisposition(rendered.value().fileName);
        rep.headers["X-Document-Id"] = rendered.value().documentId;
        return rep;
    }, true);
}

Server::Server(ServerConfig config, std::shared_ptr<Router> router) : _config(std::move(config)), _router(std::move(router)) {}

Server::~Server() { stop(); }

void Server::start() {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(_config.maxThreads);
    params->setMaxQueued(_config.maxQueued);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(_config.keepAliveSeconds, 0));
    params->setTimeout(Poco::Timespan(_config.timeoutSeconds, 0));
    params->setMaxKeepAliveRequests(1000);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(_config.host, _config.port), 256);
    _pool = std::make_unique<Poco::ThreadPool>(2, _config.maxThreads + 2);
    _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(_router, _config), *_pool, socket, params);
    _server->start();
}

void Server::stop() {
    if (_server) {
        _server->stopAll(true);
        _server.reset();
    }
    if (_pool) {
        _pool->joinAll();
        _pool.reset();
    }
}

unsigned short Server::port() const { return _server ? _server->port() : 0; }

} // namespace passerelle::http
