// Webhook targets (issue 11 item 8): which URLs a push may go to, checked when the URL is
// set and again at each delivery; https verified against the trusted CAs (a self-signed
// certificate made here with openssl, a Poco SecureServerSocket receiver on loopback);
// every private, loopback, link-local and metadata range refused unless its host is
// allowed; a name that resolves elsewhere at delivery time (DNS rebinding) is refused, and
// the connection goes to the address that was checked.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include <Poco/File.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Path.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

#include "delivery/WebhookTarget.h"

using namespace passerelle;
using namespace passerelle::delivery;
using Poco::Net::IPAddress;

namespace {

// Sets a policy and a resolver for one test; restores the process's afterwards.
class PolicyScope {
public:
    explicit PolicyScope(WebhookTargetPolicy p) : _saved(webhookTargetPolicy()) { setWebhookTargetPolicy(std::move(p)); }
    ~PolicyScope() {
        setWebhookTargetPolicy(_saved);
        setWebhookResolver({});
    }

private:
    WebhookTargetPolicy _saved;
};

std::string ruleOf(const Result<CheckedTarget>& r) {
    if (r.isOk() || r.status().details().empty()) return r.isOk() ? "ok" : "?";
    EXPECT_EQ(r.status().details().front().path, "/url");
    EXPECT_EQ(r.status().errorCode(), "bad_webhook_url");
    return r.status().details().front().rule;
}

TEST(WebhookTarget, InternalRangesAreRecognised) {
    for (const std::string a :
         {"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.10", "127.0.0.1", "127.8.9.10",
          "169.254.169.254", "169.254.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::",
          "fc00::1", "fd12:3456::1", "fd00:ec2::254", "fe80::1", "febf::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
          "::ffff:169.254.169.254", "64:ff9b::a00:1", "ff02::1"})
        EXPECT_TRUE(isInternalAddress(IPAddress(a))) << a;
    for (const std::string a : {"93.184.216.34", "172.15.255.255", "172.32.0.1", "192.169.0.1", "11.0.0.1", "8.8.8.8",
                                "2a01:e0a::1", "2606:4700::1111", "::ffff:8.8.8.8"})
        EXPECT_FALSE(isInternalAddress(IPAddress(a))) << a;
}

TEST(WebhookTarget, ByDefaultOnlyHttpsToPublicAddresses) {
    PolicyScope scope({});
    setWebhookResolver([](const std::string& host) -> std::vector<IPAddress> {
        if (host == "hooks.bailleur.example") return {IPAddress("93.184.216.34")};
        if (host == "interne.bailleur.example") return {IPAddress("93.184.216.34"), IPAddress("10.1.2.3")};
        if (host == "meta.example") return {IPAddress("169.254.169.254")};
        return {};
    });
    const WebhookTargetPolicy p = webhookTargetPolicy();
    EXPECT_EQ(ruleOf(checkWebhookTarget("https://hooks.bailleur.example/passerelle", p, true)), "ok");
    EXPECT_EQ(ruleOf(checkWebhookTarget("http://hooks.bailleur.example/passerelle", p, true)), "https_required");
    EXPECT_EQ(ruleOf(checkWebhookTarget("http://127.0.0.1:9/passerelle", p, false)), "https_required")
        << "loopback http only when allowed";
    EXPECT_EQ(ruleOf(checkWebhookTarget("ftp://hooks.bailleur.example/", p, false)), "scheme");
    EXPECT_EQ(ruleOf(checkWebhookTarget("", p, false)), "required");
    EXPECT_EQ(ruleOf(checkWebhookTarget("https://user:pw@hooks.bailleur.example/", p, false)), "userinfo");
    // Every internal range, as an IP literal or behind a name, over https too.
    for (const std::string url :
         {"https://10.0.0.5/x", "https://172.16.3.4/x", "https://172.31.0.1/x", "https://192.168.0.10/x",
          "https://127.0.0.1/x", "https://127.1.2.3:8443/x", "https://169.254.169.254/latest/meta-data/",
          "https://169.254.10.1/x", "https://0.0.0.0/x", "https://[::1]/x", "https://[fc00::5]/x", "https://[fd00:ec2::254]/x",
          "https://[fe80::1]/x", "https://[::ffff:10.0.0.1]/x", "https://[::ffff:127.0.0.1]/x",
          "https://[::ffff:169.254.169.254]/x", "https://localhost/x", "https://api.localhost/x",
          "https://interne.bailleur.example/x", "https://meta.example/x"}) {
        auto r = checkWebhookTarget(url, p, false);
        EXPECT_EQ(ruleOf(r), "internal_address") << url;
        if (!r.isOk()) {
            EXPECT_NE(r.status().message().find("Adresse de webhook invalide"), std::string::npos) << r.status().message();
            EXPECT_NE(r.status().message().find("adresse interne"), std::string::npos) << r.status().message();
        }
    }
    // Unresolvable at configuration time: accepted then, checked at every delivery.
    EXPECT_EQ(ruleOf(checkWebhookTarget("https://pas-encore.example/x", p, false)), "ok");
    EXPECT_EQ(ruleOf(checkWebhookTarget("https://pas-encore.example/x", p, true)), "unresolved");
}

TEST(WebhookTarget, AnAllowedHostMayBeInternalAndUseHttp) {
    WebhookTargetPolicy p;
    p.allowHosts = WebhookTargetPolicy::parseHosts(" 127.0.0.1, Recepteur.Local ,[::1]");
    EXPECT_EQ(p.allowHosts, (std::set<std::string>{"127.0.0.1", "recepteur.local", "::1"}));
    PolicyScope scope(p);
    setWebhookResolver([](const std::string&) { return std::vector<IPAddress>{IPAddress("192.168.4.2")}; });
    EXPECT_EQ(ruleOf(checkWebhookTarget("http://127.0.0.1:9/passerelle", p, false)), "ok");
    EXPECT_EQ(ruleOf(checkWebhookTarget("http://recepteur.local:8080/p", p, true)), "ok");
    EXPECT_EQ(ruleOf(checkWebhookTarget("http://[::1]:8080/p", p, true)), "ok");
    EXPECT_EQ(ruleOf(checkWebhookTarget("http://127.0.0.2:9/passerelle", p, false)), "https_required") << "exact host only";
    EXPECT_EQ(ruleOf(checkWebhookTarget("https://autre.local/p", p, true)), "internal_address");
}

// A self-signed certificate for the names given (openssl), in a temporary directory.
struct SelfSigned {
    std::string dir, key, cert;
    explicit SelfSigned(const std::string& names) {
        dir = Poco::TemporaryFile::tempName();
        Poco::File(dir).createDirectories();
        key = dir + "/key.pem";
        cert = dir + "/cert.pem";
        const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=bailleur.test' -keyout " + key +
                                " -out " + cert + " -addext 'subjectAltName=" + names + "' >/dev/null 2>&1";
        EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    ~SelfSigned() {
        try {
            Poco::File(dir).remove(true);
        } catch (...) {
        }
    }
};

// An HTTPS receiver on 127.0.0.1 (Poco SecureServerSocket) that records what it gets.
class HttpsReceiver {
public:
    explicit HttpsReceiver(const SelfSigned& cert) {
        Poco::Net::Context::Ptr ctx(new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, cert.key, cert.cert, "",
                                                           Poco::Net::Context::VERIFY_NONE));
        Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, ctx);
        _port = socket.address().port();
        _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, new Poco::Net::HTTPServerParams);
        _server->start();
    }
    ~HttpsReceiver() { _server->stopAll(true); }
    int port() const { return _port; }
    int requests() const { return _requests; }
    std::string lastBody() {
        std::lock_guard<std::mutex> l(_mu);
        return _body;
    }
    std::string lastHost() {
        std::lock_guard<std::mutex> l(_mu);
        return _host;
    }

private:
    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(HttpsReceiver& rx) : _rx(rx) {}
        void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
            std::ostringstream body;
            Poco::StreamCopier::copyStream(req.stream(), body);
            {
                std::lock_guard<std::mutex> l(_rx._mu);
                _rx._body = body.str();
                _rx._host = req.getHost();
            }
            ++_rx._requests;
            resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
            resp.send() << "ok";
        }

    private:
        HttpsReceiver& _rx;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(HttpsReceiver& rx) : _rx(rx) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(_rx);
        }

    private:
        HttpsReceiver& _rx;
    };
    std::mutex _mu;
    std::string _body, _host;
    std::atomic<int> _requests{0};
    int _port = 0;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
};

TEST(WebhookTarget, HttpsIsDeliveredOnlyToAVerifiedCertificateForTheHost) {
    SelfSigned cert("DNS:bailleur.test");
    HttpsReceiver rx(cert);
    std::atomic<int> resolutions{0};
    WebhookTargetPolicy p;
    p.allowHosts = {"bailleur.test", "autre.test"}; // loopback receivers: allowed by name
    p.caFile = cert.cert;
    PolicyScope scope(p);
    // Names the system resolver does not know: a delivery can only reach the receiver through
    // the address checked here (the connection never resolves the name again).
    setWebhookResolver([&](const std::string& host) -> std::vector<IPAddress> {
        ++resolutions;
        if (host == "bailleur.test" || host == "autre.test") return {IPAddress("127.0.0.1")};
        return {};
    });
    const std::string url = "https://bailleur.test:" + std::to_string(rx.port()) + "/hook";
    auto r = postWebhook(url, {{"Idempotency-Key", "msg_1"}}, R"({"event":"transmission"})", 5);
    EXPECT_TRUE(r.delivered) << r.error;
    EXPECT_EQ(r.httpStatus, 200);
    EXPECT_EQ(rx.requests(), 1);
    EXPECT_EQ(rx.lastBody(), R"({"event":"transmission"})");
    EXPECT_EQ(rx.lastHost(), "bailleur.test:" + std::to_string(rx.port()));
    EXPECT_EQ(resolutions.load(), 1) << "resolved once, at the check";

    // The certificate does not name the host: refused, nothing reaches the handler.
    auto wrongName = postWebhook("https://autre.test:" + std::to_string(rx.port()) + "/hook", {}, "{}", 5);
    EXPECT_FALSE(wrongName.delivered);
    EXPECT_EQ(rx.requests(), 1) << wrongName.error;

    // Not trusted (no extra CA: the system store only): refused.
    WebhookTargetPolicy untrusted = p;
    untrusted.caFile.clear();
    setWebhookTargetPolicy(untrusted);
    auto unknownCa = postWebhook(url, {}, "{}", 5);
    EXPECT_FALSE(unknownCa.delivered);
    EXPECT_EQ(rx.requests(), 1) << unknownCa.error;
}

TEST(WebhookTarget, ANameThatResolvesInsideAtDeliveryIsRefused) {
    SelfSigned cert("DNS:rebind.example");
    HttpsReceiver rx(cert);
    WebhookTargetPolicy p; // nothing allowed
    p.caFile = cert.cert;
    PolicyScope scope(p);
    // Public when the landlord sets the URL, then 127.0.0.1 (where a service listens) at delivery.
    std::atomic<int> calls{0};
    setWebhookResolver([&](const std::string&) -> std::vector<IPAddress> {
        return {IPAddress(calls++ == 0 ? "93.184.216.34" : "127.0.0.1")};
    });
    const std::string url = "https://rebind.example:" + std::to_string(rx.port()) + "/hook";
    EXPECT_EQ(ruleOf(checkWebhookTarget(url, p, false)), "ok") << "public at configuration time";
    auto r = postWebhook(url, {}, "{}", 5);
    EXPECT_FALSE(r.delivered);
    EXPECT_EQ(r.error, "target_refused: internal_address");
    EXPECT_EQ(rx.requests(), 0) << "never connected to the internal address";
    // Several addresses, one of them internal: refused as a whole.
    setWebhookResolver([](const std::string&) {
        return std::vector<IPAddress>{IPAddress("93.184.216.34"), IPAddress("::ffff:127.0.0.1")};
    });
    EXPECT_EQ(postWebhook(url, {}, "{}", 5).error, "target_refused: internal_address");
    // Plain http to the loopback receiver is refused by default too.
    EXPECT_EQ(postWebhook("http://127.0.0.1:" + std::to_string(rx.port()) + "/hook", {}, "{}", 5).error,
              "target_refused: https_required");
    EXPECT_EQ(rx.requests(), 0);
}

} // namespace
