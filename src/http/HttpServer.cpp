#include "http/HttpServer.h"

#include <algorithm>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>

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
    case Status::Code::Unavailable: return 503;
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

std::string routeTemplate(const std::string& pattern) {
    std::string out;
    std::size_t i = 0;
    if (!pattern.empty() && pattern[0] == '^') i = 1;
    for (; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) { out += pattern[++i]; continue; }
        if (c == '$' && i + 1 == pattern.size()) break;
        if (c == '.' && i + 1 < pattern.size() && (pattern[i + 1] == '*' || pattern[i + 1] == '+')) {
            out += "{}";
            ++i;
            continue;
        }
        if (c != '(') { out += c; continue; }
        // Lookarounds ("(?!v1/)") constrain, they match nothing: dropped.
        const bool lookaround = pattern.compare(i, 3, "(?!") == 0 || pattern.compare(i, 3, "(?=") == 0;
        // Skip to the matching parenthesis (escapes and bracket expressions respected).
        int depth = 0;
        bool inClass = false;
        for (; i < pattern.size(); ++i) {
            char d = pattern[i];
            if (d == '\\') { ++i; continue; }
            if (inClass) { if (d == ']') inClass = false; continue; }
            if (d == '[') { inClass = true; continue; }
            if (d == '(') ++depth;
            else if (d == ')' && --depth == 0) break;
        }
        if (!lookaround) out += "{}";
    }
    return out;
}

void Router::add(const std::string& method, const std::string& pattern, Handler h, bool jsonBody) {
    Route r;
    r.method = method;
    r.pattern = std::regex("^" + pattern + "$");
    r.handler = std::move(h);
    r.jsonBody = jsonBody;
    r.pathTemplate = routeTemplate(pattern);
    _routes.push_back(std::move(r));
}

void Router::allowAnonymous(const std::string& path) { _anonymous.push_back(path); }

const Route* Router::match(const std::string& method, const std::string& path, std::vector<std::string>& params,
                           bool& pathKnown) const {
    pathKnown = false;
    for (const auto& r : _routes) {
        std::smatch m;
        if (!std::regex_match(path, m, r.pattern)) continue;
        pathKnown = true;
        // HEAD is answered by the GET route (RFC 9110 §9.3.2: the same headers, no content; the front drops the body).
        if (r.method != method && !(method == "HEAD" && r.method == "GET")) continue;
        params.clear();
        for (std::size_t i = 1; i < m.size(); ++i) params.push_back(m[i].str());
        return &r;
    }
    return nullptr;
}

std::string Router::allowedMethods(const std::string& path) const {
    std::vector<std::string> methods;
    auto add = [&](const std::string& m) {
        if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
    };
    for (const auto& r : _routes) {
        if (!std::regex_match(path, r.pattern)) continue;
        add(r.method);
        if (r.method == "GET") add("HEAD");
    }
    std::string out;
    for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
    return out;
}

void Router::addInline(const std::string& method, const std::string& pattern, Handler h) {
    Route r;
    r.method = method;
    r.pattern = std::regex("^" + pattern + "$");
    r.handler = std::move(h);
    r.inlineCheap = true;
    r.pathTemplate = routeTemplate(pattern);
    _routes.push_back(std::move(r));
}

int Router::allowBody(const std::string& method, const std::string& examplePath, std::size_t bytes) {
    int changed = 0;
    for (auto& r : _routes)
        if (r.method == method && std::regex_match(examplePath, r.pattern)) {
            r.maxBodyBytes = bytes;
            ++changed;
        }
    return changed;
}

bool Router::requiresAuthentication(const std::string& path) const {
    if (!_authenticator || path.compare(0, _authPrefix.size(), _authPrefix) != 0) return false;
    for (const auto& a : _anonymous)
        if (a == path) return false;
    return true;
}

void Router::requireAuthentication(Authenticator auth, std::string prefix) {
    _authenticator = std::move(auth);
    _authPrefix = std::move(prefix);
}

std::optional<Result<service::Caller>> Router::authenticate(const Request& request) const {
    if (!requiresAuthentication(request.path)) return std::nullopt;
    return _authenticator(request);
}

namespace {

std::string contentDisposition(const std::string& fileName) {
    return "attachment; filename=\"" + fileName + "\"";
}

} // namespace

void addRenderRoutes(Router& router, std::shared_ptr<const service::RenderService> renderer) {
    // Answered by the I/O thread itself: a health probe stays truthful while the workers are saturated.
    router.addInline("GET", "/healthz", [](const Request&) {
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

} // namespace passerelle::http
