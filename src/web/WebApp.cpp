#include "web/WebApp.h"

#include <sstream>

#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/RandomStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace passerelle::web {

using http::Reply;
using http::Request;

namespace {

// Strict policy: nothing inline, nothing from elsewhere, no framing, forms post here only.
const char* CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self';"
                  " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

std::string header(const Request& r, const std::string& lowerName) {
    auto it = r.headers.find(lowerName);
    return it == r.headers.end() ? std::string() : it->second;
}

// Constant-time comparison of two tokens.
bool sameToken(const std::string& a, const std::string& b) {
    if (a.size() != b.size() || a.empty()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

// A local path only ("/dossiers?…"): never "//host" nor a scheme.
bool isLocalPath(const std::string& p) {
    return !p.empty() && p[0] == '/' && (p.size() == 1 || (p[1] != '/' && p[1] != '\\')) &&
           p.find_first_of("\r\n") == std::string::npos;
}

} // namespace

void addPresenceFlags(mstch::map& context) {
    std::vector<std::pair<std::string, bool>> flags;
    for (const auto& [key, value] : context) {
        if (key.empty()) continue;
        if (const auto* arr = boost::get<mstch::array>(&value)) {
            std::string flag = "has" + key;
            flag[3] = static_cast<char>(std::toupper(static_cast<unsigned char>(flag[3])));
            flags.emplace_back(flag, !arr->empty());
        }
    }
    for (const auto& [flag, present] : flags)
        if (!context.count(flag)) context[flag] = present;
}

// ---------------------------------------------------------------------------
// FormData.

std::string FormData::get(const std::string& name, const std::string& fallback) const {
    for (const auto& [k, v] : pairs)
        if (k == name) return v;
    return fallback;
}

std::vector<std::string> FormData::all(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : pairs)
        if (k == name) out.push_back(v);
    return out;
}

bool FormData::has(const std::string& name) const {
    for (const auto& p : pairs)
        if (p.first == name) return true;
    return false;
}

FormData FormData::parse(const std::string& body) {
    FormData f;
    auto decode = [](std::string s) {
        for (char& c : s)
            if (c == '+') c = ' ';
        std::string out;
        try {
            Poco::URI::decode(s, out);
        } catch (...) {
            out = s;
        }
        return out;
    };
    std::size_t start = 0;
    while (start <= body.size()) {
        std::size_t end = body.find('&', start);
        if (end == std::string::npos) end = body.size();
        std::string item = body.substr(start, end - start);
        if (!item.empty()) {
            std::size_t eq = item.find('=');
            if (eq == std::string::npos) f.pairs.emplace_back(decode(item), "");
            else f.pairs.emplace_back(decode(item.substr(0, eq)), decode(item.substr(eq + 1)));
        }
        start = end + 1;
    }
    return f;
}

// ---------------------------------------------------------------------------
// Helpers.

namespace {

// The file parts of a multipart body, kept whole (the HTTP front bounds the body).
class FileParts : public Poco::Net::PartHandler {
public:
    explicit FileParts(std::vector<UploadedFile>& files) : _files(files) {}
    void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
        UploadedFile f;
        std::string disposition;
        Poco::Net::NameValueCollection params;
        Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""), disposition, params);
        f.name = params.get("name", "");
        f.fileName = params.get("filename", "");
        f.contentType = header.get("Content-Type", "");
        Poco::StreamCopier::copyToString(stream, f.bytes);
        _files.push_back(std::move(f));
    }

private:
    std::vector<UploadedFile>& _files;
};

// multipart/form-data: the fields in order into `form`, the files into `files`. False when the body is malformed.
bool parseMultipart(const std::string& contentType, const std::string& body, FormData& form, std::vector<UploadedFile>& files) {
    try {
        Poco::Net::HTTPRequest head(Poco::Net::HTTPRequest::HTTP_POST, "/");
        head.setContentType(contentType);
        Poco::Net::HTMLForm html;
        html.setFieldLimit(1000);
        html.setValueLengthLimit(1024 * 1024);
        FileParts parts(files);
        std::istringstream in(body);
        html.load(head, in, parts);
        for (const auto& [name, value] : html) form.pairs.emplace_back(name, value);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace

std::string randomToken(std::size_t bytes) {
    Poco::RandomInputStream rnd;
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        unsigned char c = static_cast<unsigned char>(rnd.get());
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
    return out;
}

std::string frenchDate(const std::string& iso) {
    if (iso.size() < 10) return iso;
    return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

std::string frenchDateTime(const std::string& iso) {
    if (iso.size() < 16) return frenchDate(iso);
    return frenchDate(iso) + " à " + iso.substr(11, 5);
}

WebApp::WebApp(std::shared_ptr<const Views> views, std::shared_ptr<const service::AccountService> accounts,
               WebSettings settings)
    : _views(std::move(views)), _accounts(std::move(accounts)), _settings(std::move(settings)) {}

void WebApp::secure(Reply& r) {
    // A page may set a stricter or framing-specific policy of its own (the signing page embeds the PDF).
    if (!r.headers.count("Content-Security-Policy")) r.headers["Content-Security-Policy"] = CSP;
    if (!r.headers.count("X-Frame-Options")) r.headers["X-Frame-Options"] = "DENY";
    r.headers["Referrer-Policy"] = "same-origin";
    r.headers["X-Content-Type-Options"] = "nosniff";
    r.headers["Cross-Origin-Opener-Policy"] = "same-origin";
    r.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
    if (!r.headers.count("Cache-Control")) r.headers["Cache-Control"] = "no-store";
}

std::string WebApp::cookie(const Request& r, const std::string& name) {
    const std::string all = header(r, "cookie");
    std::size_t pos = 0;
    while (pos < all.size()) {
        std::size_t end = all.find(';', pos);
        if (end == std::string::npos) end = all.size();
        std::string item = Poco::trim(all.substr(pos, end - pos));
        std::size_t eq = item.find('=');
        if (eq != std::string::npos && item.substr(0, eq) == name) return item.substr(eq + 1);
        pos = end + 1;
    }
    return {};
}

bool WebApp::overTls(const Request& r) const {
    return _settings.secureCookies ||
           (_settings.trustProxy && Poco::toLower(Poco::trim(header(r, "x-forwarded-proto"))) == "https");
}

std::string WebApp::clientAddress(const Request& r) const {
    if (_settings.trustProxy) {
        std::string xff = header(r, "x-forwarded-for");
        if (!xff.empty()) return Poco::trim(xff.substr(0, xff.find(',')));
    }
    return r.clientAddress;
}

std::string WebApp::sessionCookie(const Request& r, const std::string& token) const {
    // No Max-Age: a browser session cookie; the server ends it (idle and absolute limits).
    std::string c = std::string(SESSION_COOKIE) + "=" + token + "; Path=/; HttpOnly; SameSite=Lax";
    if (token.empty()) c += "; Max-Age=0";
    if (overTls(r)) c += "; Secure";
    return c;
}

std::string WebApp::signinCsrfCookie(const Request& r, const std::string& token) const {
    std::string c = std::string(SIGNIN_CSRF_COOKIE) + "=" + token + "; Path=/connexion; HttpOnly; SameSite=Strict";
    if (overTls(r)) c += "; Secure";
    return c;
}

// ---------------------------------------------------------------------------
// Pages.

Reply WebApp::render(const Page& page, const std::string& view, mstch::map context, const std::string& title,
                     int status) const {
    mstch::map user;
    bool signedIn = !page.caller.userId.empty();
    if (signedIn) {
        user["name"] = page.caller.userName;
        user["organisation"] = page.caller.organisationName;
        user["isAdmin"] = page.caller.role == "admin";
        user["isAssociation"] = page.caller.kind == "association";
    }
    addPresenceFlags(context);
    context["csrf"] = page.csrfToken;
    context["title"] = title;
    if (signedIn) context["user"] = user;
    mstch::map layout;
    layout["title"] = title;
    layout["csrf"] = page.csrfToken;
    if (signedIn && !page.mustChangePassword) layout["user"] = user;
    layout["content"] = _views->render(view, context);
    // Navigation: the current section is marked (aria-current).
    const std::string& path = page.request.path;
    auto navItem = [&](const std::string& href, const std::string& label) {
        mstch::map m;
        m["href"] = href;
        m["label"] = label;
        m["current"] = path == href || (href != "/" && path.compare(0, href.size() + 1, href + "/") == 0);
        return m;
    };
    if (signedIn && !page.mustChangePassword) {
        mstch::array nav;
        if (page.caller.kind == "association") nav.push_back(navItem("/dossiers", "Dossiers"));
        else if (page.caller.kind != "financeur") nav.push_back(navItem("/accueil", "Accueil"));
        if (page.caller.kind == "bailleur" || page.caller.kind == "siao") nav.push_back(navItem("/recus", "Documents reçus"));
        // Actions and their funders' documents (issue 12, web/FunderPages).
        if (page.caller.kind == "association") nav.push_back(navItem("/actions", "Actions"));
        if (page.caller.kind == "financeur") nav.push_back(navItem("/actions", "Actions financées"));
        if (page.caller.role == "admin") nav.push_back(navItem("/utilisateurs", "Utilisateurs"));
        // Organisation admin pages (issue 12, web/AdminPages).
        if (page.caller.role == "admin") {
            nav.push_back(navItem("/cles-api", "Clés d’API"));
            nav.push_back(navItem("/partenariats", "Partenariats"));
            if (page.caller.kind == "bailleur" || page.caller.kind == "siao") nav.push_back(navItem("/webhook", "Webhook"));
        }
        nav.push_back(navItem("/preferences", "Notifications")); // e-mail preferences (PreferencesRoutes)
        nav.push_back(navItem("/mot-de-passe", "Mot de passe"));
        layout["hasNav"] = !nav.empty();
        layout["nav"] = nav;
    }
    Reply r;
    r.status = status;
    r.contentType = "text/html; charset=utf-8";
    r.body = _views->render("layout", layout);
    secure(r);
    return r;
}

Reply WebApp::redirect(const std::string& location) const {
    Reply r;
    r.status = 303;
    r.contentType = "text/plain; charset=utf-8";
    r.headers["Location"] = isLocalPath(location) ? location : "/";
    secure(r);
    return r;
}

Reply WebApp::errorPage(const Page& page, const Status& status) const {
    int code = http::errorToHttpStatus(status);
    mstch::map ctx;
    std::string title;
    switch (code) {
    case 404: title = "Page introuvable"; break;
    case 403: title = "Accès refusé"; break;
    case 400: title = "Demande invalide"; break;
    case 409: title = "Action impossible pour l’instant"; break;
    case 413: title = "Envoi trop volumineux"; break;
    default: title = "Erreur du service"; code = code < 400 ? 500 : code;
    }
    ctx["status"] = std::to_string(code);
    ctx["heading"] = title;
    // Internal errors keep their detail in the logs.
    ctx["message"] = code >= 500 ? std::string("Une erreur est survenue de notre côté. Réessayez dans un instant.")
                                 : status.message();
    ctx["notFound"] = code == 404;
    return render(page, "erreur", ctx, title, code);
}

Reply WebApp::notFound(const Page& page) const {
    return errorPage(page, Status::notFound("not_found", "L’adresse demandée n’existe pas, ou vous n’y avez pas accès."));
}

void WebApp::page(http::Router& router, const std::string& method, const std::string& pattern, PageHandler handler,
                  Access access) const {
    const bool post = method == "POST";
    router.add(method, pattern, [this, handler, access, post](const Request& request) {
        try {
            return dispatch(request, handler, access, post);
        } catch (const std::exception&) {
            Page p{request, {}, "", {}, {}, false, ""};
            return errorPage(p, Status::internal("internal", "Erreur interne."));
        }
    });
}

Reply WebApp::dispatch(const Request& request, const PageHandler& handler, Access access, bool post) const {
    Page page{request, {}, "", {}, {}, false, ""};
    page.query.pairs.assign(request.query.begin(), request.query.end());
    if (post) {
        std::string ct = Poco::toLower(header(request, "content-type"));
        if (ct.compare(0, 19, "multipart/form-data") == 0) {
            // A form with a file input; its CSRF token is one of its fields, checked below as any other.
            if (!parseMultipart(header(request, "content-type"), request.body, page.form, page.files))
                return errorPage(page, Status::invalidArgument("malformed_form", "Le formulaire envoyé est illisible : rechargez la page puis recommencez."));
        } else {
            if (!request.body.empty() && ct.compare(0, 33, "application/x-www-form-urlencoded") != 0)
                return errorPage(page, Status::unsupportedMedia("unsupported_media_type",
                                                                "Ce formulaire attend un envoi application/x-www-form-urlencoded."));
            page.form = FormData::parse(request.body);
        }
    }
    // Session: resolved for every page, so that public pages know who is there.
    page.sessionToken = cookie(request, SESSION_COOKIE);
    if (!page.sessionToken.empty()) {
        auto session = _accounts->resolveSession(page.sessionToken);
        if (session.isOk()) {
            page.caller = session.value().caller;
            page.csrfToken = session.value().csrfToken;
            page.mustChangePassword = session.value().mustChangePassword;
        } else if (session.status().code() != Status::Code::Unauthenticated) {
            return errorPage(page, session.status());
        }
    }
    const bool signedIn = !page.caller.userId.empty();
    if (access != Access::Public) {
        if (!signedIn) {
            if (post) return errorPage(page, Status::permissionDenied("session_expired",
                                                                      "Votre session a expiré : connectez-vous à nouveau."));
            std::string target = request.path;
            return redirect("/connexion?retour=" + Poco::replace(target, std::string("&"), std::string("")));
        }
        if (access == Access::Admin && page.caller.role != "admin") return notFound(page);
        if (page.mustChangePassword && request.path != "/mot-de-passe" && request.path != "/deconnexion")
            return redirect("/mot-de-passe");
    }
    // CSRF: every state-changing request of a session carries its token (public forms, i.e. the
    // sign-in, check their own double-submit token).
    if (post && access != Access::Public) {
        if (!sameToken(page.form.get(CSRF_FIELD), page.csrfToken))
            return errorPage(page, Status::permissionDenied("csrf_invalid",
                                                            "Le formulaire a expiré ou ne vient pas de cette page : rechargez la page puis recommencez."));
    }
    Reply r = handler(page);
    secure(r);
    return r;
}

} // namespace passerelle::web
