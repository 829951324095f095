#include "delivery/WebhookTarget.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include <Poco/Net/Context.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace passerelle::delivery {

namespace {

std::mutex g_mu;

WebhookTargetPolicy fromEnvironment() {
    WebhookTargetPolicy p;
    if (const char* h = std::getenv("PASSERELLE_WEBHOOK_ALLOW_HOSTS")) p.allowHosts = WebhookTargetPolicy::parseHosts(h);
    if (const char* c = std::getenv("PASSERELLE_WEBHOOK_CA_FILE")) p.caFile = c;
    return p;
}

WebhookTargetPolicy& policyRef() {
    static WebhookTargetPolicy p = fromEnvironment();
    return p;
}

Resolver& resolverRef() {
    static Resolver r;
    return r;
}

bool internalV4(std::uint32_t a) {
    auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8) ||   // 0.0.0.0/8 ("this network", 0.0.0.0)
           in(0x0A000000, 8) ||   // 10/8
           in(0x64400000, 10) ||  // 100.64/10 (shared address space)
           in(0x7F000000, 8) ||   // 127/8
           in(0xA9FE0000, 16) ||  // 169.254/16 (link-local, cloud metadata 169.254.169.254)
           in(0xAC100000, 12) ||  // 172.16/12
           in(0xC0000000, 24) ||  // 192.0.0/24 (IETF protocol assignments)
           in(0xC0A80000, 16) ||  // 192.168/16
           in(0xC6120000, 15) ||  // 198.18/15 (benchmarking)
           in(0xE0000000, 4) ||   // multicast
           in(0xF0000000, 4);     // reserved, broadcast
}

Status badUrl(const std::string& rule, const std::string& message) {
    const std::string text = "Adresse de webhook invalide : " + message;
    return Status::invalidArgument("bad_webhook_url", text, {FieldError{"/url", rule, text}});
}

Poco::Net::Context::Ptr tlsContext(const std::string& caFile) {
    static std::once_flag ssl;
    std::call_once(ssl, [] {
        Poco::Net::initializeSSL();
        // Never ask on a console: an invalid certificate is refused.
        Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject(new Poco::Net::RejectCertificateHandler(false));
        Poco::Net::Context::Ptr clientDefault(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                                     Poco::Net::Context::VERIFY_RELAXED, 9, true));
        Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, clientDefault);
    });
    static std::mutex mu;
    static std::map<std::string, Poco::Net::Context::Ptr> contexts;
    std::lock_guard<std::mutex> lock(mu);
    auto it = contexts.find(caFile);
    if (it != contexts.end()) return it->second;
    Poco::Net::Context::Params params;
    params.caLocation = caFile;
    params.loadDefaultCAs = true;
    // STRICT: the server's certificate is verified, and its name checked, for every host (also local ones).
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 9;
    Poco::Net::Context::Ptr ctx(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    contexts[caFile] = ctx;
    return ctx;
}

} // namespace

std::set<std::string> WebhookTargetPolicy::parseHosts(const std::string& commaSeparated) {
    std::set<std::string> out;
    std::string cur;
    for (char c : commaSeparated + ",") {
        if (c == ',') {
            std::string h = Poco::toLower(Poco::trim(cur));
            if (!h.empty() && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
            if (!h.empty()) out.insert(h);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

void setWebhookTargetPolicy(WebhookTargetPolicy policy) {
    std::lock_guard<std::mutex> lock(g_mu);
    policyRef() = std::move(policy);
}

WebhookTargetPolicy webhookTargetPolicy() {
    std::lock_guard<std::mutex> lock(g_mu);
    return policyRef();
}

void setWebhookResolver(Resolver resolver) {
    std::lock_guard<std::mutex> lock(g_mu);
    resolverRef() = std::move(resolver);
}

bool isInternalAddress(const Poco::Net::IPAddress& address) {
    if (address.family() == Poco::Net::IPAddress::IPv4) {
        std::uint32_t a = 0;
        std::memcpy(&a, address.addr(), 4);
        return internalV4(ntohl(a));
    }
    unsigned char b[16];
    std::memcpy(b, address.addr(), 16);
    auto zeros = [&](int from, int to) {
        for (int i = from; i < to; ++i)
            if (b[i] != 0) return false;
        return true;
    };
    auto v4At12 = [&] {
        std::uint32_t a = 0;
        std::memcpy(&a, b + 12, 4);
        return ntohl(a);
    };
    if (zeros(0, 16)) return true;                                   // ::
    if (zeros(0, 15) && b[15] == 1) return true;                     // ::1
    if (zeros(0, 10) && b[10] == 0xff && b[11] == 0xff) return internalV4(v4At12()); // ::ffff:a.b.c.d
    if (zeros(0, 12)) return true;                                   // ::a.b.c.d (deprecated): never a webhook
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zeros(4, 12))
        return internalV4(v4At12());                                 // 64:ff9b::/96 (NAT64)
    if ((b[0] & 0xfe) == 0xfc) return true;                          // fc00::/7 (unique local)
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;          // fe80::/10 (link-local)
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;          // fec0::/10 (site-local, deprecated)
    if (b[0] == 0xff) return true;                                   // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true; // 2001:db8::/32 documentation
    return false;
}

Result<CheckedTarget> checkWebhookTarget(const std::string& url, const WebhookTargetPolicy& policy,
                                         bool requireResolution) {
    const std::string expected = "https://hôte[:port]/chemin attendu";
    if (url.empty()) return badUrl("required", "l’adresse est obligatoire (" + expected + ").");
    if (url.size() > 2000) return badUrl("max_length", "2000 caractères au plus.");
    CheckedTarget t;
    try {
        Poco::URI uri(url);
        t.scheme = Poco::toLower(uri.getScheme());
        t.host = uri.getHost();
        t.port = uri.getPort();
        t.pathAndQuery = uri.getPathAndQuery();
        if (!uri.getUserInfo().empty()) return badUrl("userinfo", "pas d’identifiants dans l’adresse (" + expected + ").");
    } catch (const Poco::Exception&) {
        return badUrl("format", "adresse illisible (" + expected + ").");
    }
    if (t.pathAndQuery.empty()) t.pathAndQuery = "/";
    if (t.scheme != "http" && t.scheme != "https")
        return badUrl("scheme", "seuls https:// (et http:// pour un hôte autorisé) sont acceptés (" + expected + ").");
    if (t.host.empty()) return badUrl("format", "l’hôte manque (" + expected + ").");
    const std::string host = Poco::toLower(t.host);
    const bool allowed = policy.allowHosts.count(host) > 0;
    if (!allowed && t.scheme != "https")
        return badUrl("https_required", "https:// est obligatoire pour « " + t.host +
                                            " » (http:// seulement pour un hôte de PASSERELLE_WEBHOOK_ALLOW_HOSTS).");
    Poco::Net::IPAddress literal;
    if (Poco::Net::IPAddress::tryParse(t.host, literal)) {
        t.addresses.push_back(literal);
    } else {
        if (host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0))
            t.addresses.push_back(Poco::Net::IPAddress("127.0.0.1"));
        else {
            Resolver resolver;
            {
                std::lock_guard<std::mutex> lock(g_mu);
                resolver = resolverRef();
            }
            try {
                if (resolver) t.addresses = resolver(t.host);
                else
                    for (const auto& a : Poco::Net::DNS::hostByName(t.host).addresses()) t.addresses.push_back(a);
            } catch (const Poco::Exception&) {
                t.addresses.clear();
            }
            if (t.addresses.empty()) {
                if (requireResolution) return badUrl("unresolved", "« " + t.host + " » ne se résout en aucune adresse.");
                return t;
            }
        }
    }
    if (!allowed)
        for (const auto& a : t.addresses)
            if (isInternalAddress(a))
                return badUrl("internal_address", "« " + t.host + " » désigne une adresse interne (" + a.toString() +
                                                      ") : privée, locale ou de métadonnées. Seul un hôte de "
                                                      "PASSERELLE_WEBHOOK_ALLOW_HOSTS peut l’être.");
    return t;
}

SendResult postWebhook(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, int timeoutSeconds) {
    SendResult r;
    const WebhookTargetPolicy policy = webhookTargetPolicy();
    auto target = checkWebhookTarget(url, policy, /*requireResolution=*/true);
    if (!target.isOk()) {
        // Refused before any connection; retried (the landlord may correct its URL or its DNS).
        r.error = "target_refused: " + target.status().details().front().rule;
        return r;
    }
    const CheckedTarget& t = target.value();
    const Poco::Timespan timeout(timeoutSeconds, 0);
    std::string lastError = "no_address";
    for (const auto& address : t.addresses) {
        try {
            // Connect to the address checked above, never to a second resolution of the name: the
            // session's host is the address itself; TLS (SNI, certificate name) and Host use the name.
            std::unique_ptr<Poco::Net::HTTPClientSession> session;
            if (t.scheme == "https") {
                auto https = std::make_unique<Poco::Net::HTTPSClientSession>(address.toString(), t.port,
                                                                             tlsContext(policy.caFile));
                Poco::Net::SecureStreamSocket(https->socket()).setPeerHostName(t.host);
                session = std::move(https);
            } else {
                session = std::make_unique<Poco::Net::HTTPClientSession>(address.toString(), t.port);
            }
            session->setTimeout(timeout);
            Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, t.pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
            const bool defaultPort = (t.scheme == "https" && t.port == 443) || (t.scheme == "http" && t.port == 80);
            req.setHost(t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host);
            if (!defaultPort) req.setHost(req.getHost() + ":" + std::to_string(t.port));
            req.setContentType("application/json; charset=utf-8");
            req.setContentLength(static_cast<std::streamsize>(body.size()));
            for (const auto& [k, v] : headers) req.set(k, v);
            session->sendRequest(req) << body;
            Poco::Net::HTTPResponse resp;
            std::istream& in = session->receiveResponse(resp);
            Poco::NullOutputStream sink;
            Poco::StreamCopier::copyStream(in, sink);
            r.httpStatus = resp.getStatus();
            r.delivered = r.httpStatus >= 200 && r.httpStatus < 300;
            if (!r.delivered) r.error = "http_" + std::to_string(r.httpStatus);
            return r;
        } catch (const Poco::Exception& e) {
            lastError = e.displayText();
        } catch (const std::exception& e) {
            lastError = e.what();
        }
    }
    r.error = lastError;
    return r;
}

} // namespace passerelle::delivery
