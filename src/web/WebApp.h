#pragma once
// WebApp: the foundation of the web pages, another adapter beside src/http/.
// It registers page routes on the shared http::Router (paths outside /v1/),
// resolves the session cookie to a service::Caller, checks the CSRF token of
// every POST, parses form bodies, renders a view inside the layout and adds
// the security headers to every answer. Page handlers hold no SQL and no rule
// of their own: they read the form, call a use case (service/) and pick a view.
//
// Settings (properties "passerelle.web.*", see docs/web.md):
//   secureCookies   true: the session cookie always carries Secure; false
//                   (default): only when the request came over TLS through a
//                   trusted proxy (trustProxy and "X-Forwarded-Proto: https").
//   trustProxy      false (default): X-Forwarded-For / -Proto are ignored.
// One WebApp per server; immutable after construction, shared by the threads.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mstch/mstch.hpp>

#include "common/Status.h"
#include "http/HttpServer.h"
#include "service/AccountService.h"
#include "service/Caller.h"
#include "web/Views.h"

namespace passerelle::web {

inline constexpr const char* SESSION_COOKIE = "psl_session";
inline constexpr const char* SIGNIN_CSRF_COOKIE = "psl_csrf"; // double-submit token of the sign-in form
inline constexpr const char* CSRF_FIELD = "_csrf";

// An application/x-www-form-urlencoded body (or query string), pairs in order.
struct FormData {
    std::vector<std::pair<std::string, std::string>> pairs;
    // The first value of `name`, or "" (or `fallback`).
    std::string get(const std::string& name, const std::string& fallback = "") const;
    std::vector<std::string> all(const std::string& name) const;
    bool has(const std::string& name) const;
    static FormData parse(const std::string& body);
};

// A file of a multipart/form-data POST (a form with <input type="file">). Its limits are the
// use case's (e.g. service::MAX_SCAN_BYTES): the pages keep what came, within the HTTP front's
// body limit.
struct UploadedFile {
    std::string name;        // the input's name
    std::string fileName;    // as the browser sent it ("" when no file was chosen)
    std::string contentType; // as declared by the browser
    std::string bytes;
};

struct WebSettings {
    bool secureCookies = false;
    bool trustProxy = false;
    std::string staticDir; // web/static
};

// What a page handler receives.
struct Page {
    const http::Request& request;
    service::Caller caller;  // the signed-in person (empty for public pages)
    std::string csrfToken;   // for every POST form: <input type="hidden" name="_csrf" value="{{csrf}}">
    FormData form;           // the parsed body of a POST (urlencoded, or the fields of a multipart one)
    FormData query;          // the query string
    bool mustChangePassword = false;
    std::string sessionToken; // the cookie value (sign-out)
    std::vector<UploadedFile> files; // the files of a multipart/form-data POST
};

using PageHandler = std::function<http::Reply(Page&)>;

// Who may open a page.
enum class Access {
    Public,    // anyone (sign-in page, static files)
    SignedIn,  // any signed-in person; redirects to /connexion otherwise
    Admin,     // a signed-in organisation admin; 404 for others
};

class WebApp {
public:
    WebApp(std::shared_ptr<const Views> views, std::shared_ptr<const service::AccountService> accounts,
           WebSettings settings);

    // Registers `handler` for `method` and `pattern` (a regex of the path, captures in request.params).
    // SignedIn/Admin pages without a valid session redirect to /connexion (GET) or answer 403 (POST);
    // a POST without the session's CSRF token answers 403. A person who must change their password is
    // sent to /mot-de-passe first.
    void page(http::Router& router, const std::string& method, const std::string& pattern, PageHandler handler,
              Access access = Access::SignedIn) const;

    // A view inside the layout (header, navigation, main, footer), with security headers.
    // `context` is the view's context; "csrf", "user" and "title" are added for the view and the layout,
    // and a `hasXs` flag for every list `xs` (addPresenceFlags).
    http::Reply render(const Page& page, const std::string& view, mstch::map context, const std::string& title,
                       int status = 200) const;
    // 303 See Other to a local path (redirect after POST).
    http::Reply redirect(const std::string& location) const;
    // French error pages: 404 "Page introuvable", 403, 400…; a Status maps through http::errorToHttpStatus.
    http::Reply notFound(const Page& page) const;
    http::Reply errorPage(const Page& page, const Status& status) const;
    // Adds the security headers (CSP, frame-ancestors, Referrer-Policy, nosniff…) to any reply.
    static void secure(http::Reply& reply);
    // "Set-Cookie" value of the session cookie (empty token: expires it).
    std::string sessionCookie(const http::Request& request, const std::string& token) const;
    std::string signinCsrfCookie(const http::Request& request, const std::string& token) const;
    // The value of cookie `name`, or "".
    static std::string cookie(const http::Request& request, const std::string& name);
    // The client address used for throttling: X-Forwarded-For's first hop behind a trusted proxy,
    // else Request::clientAddress when the HTTP front fills it (empty otherwise).
    std::string clientAddress(const http::Request& request) const;
    bool overTls(const http::Request& request) const;

    const Views& views() const { return *_views; }
    const service::AccountService& accounts() const { return *_accounts; }
    const WebSettings& settings() const { return _settings; }

private:
    http::Reply dispatch(const http::Request& request, const PageHandler& handler, Access access, bool post) const;

    std::shared_ptr<const Views> _views;
    std::shared_ptr<const service::AccountService> _accounts;
    WebSettings _settings;
};

// French dates for pages: "2026-11-22T10:15:00.123Z" → "22/11/2026" (and "22/11/2026 à 10:15" with the time, UTC).
std::string frenchDate(const std::string& isoTimestamp);
std::string frenchDateTime(const std::string& isoTimestamp);
// Mustache has no "is this list empty?": for every list `xs` at the top of
// `context`, adds the boolean `hasXs` (unless already set), e.g.
// {{#hasDossiers}}<table>…{{/hasDossiers}}. render() calls it on the view's context.
void addPresenceFlags(mstch::map& context);
// Random token (hex of `bytes` random bytes).
std::string randomToken(std::size_t bytes);

} // namespace passerelle::web
