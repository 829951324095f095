// Webhook push through the real executable: `passerelle admin` creates the
// organisations, keys and the landlord's webhook; a `passerelle serve` process
// transmits with consent and its outbox worker POSTs to an HTTP receiver on
// 127.0.0.1 with an Idempotency-Key. Then the server is killed (SIGKILL) right
// after a transmission whose first attempt got a 503 from the receiver;
// after a restart, with the receiver back up, the receiver has accepted that
// delivery exactly once. Every wait is bounded (20 s). SQLite (--data-dir) and
// PostgreSQL (--db, when PASSERELLE_TEST_PG is set).
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "api/ApiFixture.h"
#include "storage/ApiKeys.h"

namespace passerelle::testing {
namespace {

using Poco::JSON::Object;
using Clock = std::chrono::steady_clock;

const auto kMaxWait = std::chrono::seconds(20);

unsigned short freePort() {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    unsigned short p = s.address().port();
    s.close();
    return p;
}

// A landlord's receiver. `answer` is the status it gives (503: "down");
// it accepts (and counts) a delivery only when it answers 200.
struct Receiver {
    struct Hit {
        std::string key;
        std::string transmission;
        int answered = 0;
    };
    std::mutex mu;
    std::vector<Hit> hits;
    std::atomic<int> answer{200};

    class Handler : public Poco::Net::HTTPRequestHandler {
    public:
        explicit Handler(Receiver& r) : _r(r) {}
        void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
            std::string body;
            Poco::StreamCopier::copyToString(req.stream(), body);
            Hit h;
            h.key = req.get("Idempotency-Key", "");
            try {
                h.transmission = Poco::JSON::Parser().parse(body).extract<Object::Ptr>()->getValue<std::string>("transmission");
            } catch (const Poco::Exception&) {
            }
            h.answered = _r.answer.load();
            {
                std::lock_guard<std::mutex> lock(_r.mu);
                _r.hits.push_back(h);
            }
            resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(h.answered));
            resp.send() << (h.answered == 200 ? "ok" : "indisponible");
        }

    private:
        Receiver& _r;
    };
    class Factory : public Poco::Net::HTTPRequestHandlerFactory {
    public:
        explicit Factory(Receiver& r) : _r(r) {}
        Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
            return new Handler(_r);
        }

    private:
        Receiver& _r;
    };

    std::unique_ptr<Poco::Net::HTTPServer> server;
    Receiver() {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
        server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, new Poco::Net::HTTPServerParams);
        server->start();
    }
    ~Receiver() { server->stopAll(true); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/passerelle/webhook"; }
    std::vector<Hit> snapshot() {
        std::lock_guard<std::mutex> lock(mu);
        return hits;
    }
    // Requests for `transmission` answered with `status`.
    std::vector<Hit> hitsFor(const std::string& transmission, int status) {
        std::vector<Hit> out;
        for (const auto& h : snapshot())
            if (h.transmission == transmission && h.answered == status) out.push_back(h);
        return out;
    }
};

// Polls `done` every 100 ms for at most kMaxWait.
template <typename F>
bool waitFor(F done) {
    const auto deadline = Clock::now() + kMaxWait;
    while (Clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
}

// A `passerelle serve` child process: stop() asks it to end (SIGINT), kill() ends it with SIGKILL.
class ServeProcess {
public:
    explicit ServeProcess(const std::vector<std::string>& dbArgs) : _port(freePort()) {
        std::vector<std::string> args = {"serve", "--port", std::to_string(_port)};
        args.insert(args.end(), dbArgs.begin(), dbArgs.end());
        _handle = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(PASSERELLE_BINARY, args, nullptr, &_out, nullptr));
        for (int i = 0; i < 200; ++i) {
            try {
                if (httpCall(_port, "GET", "/healthz", "").status == 200) return;
            } catch (...) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        kill();
        throw std::runtime_error("passerelle serve did not start on port " + std::to_string(_port));
    }
    ~ServeProcess() { stop(); }
    void stop() {
        if (!_handle) return;
        Poco::Process::requestTermination(_handle->id());
        finish();
    }
    void kill() {
        if (!_handle) return;
        Poco::Process::kill(*_handle); // SIGKILL: no shutdown code runs
        finish();
    }
    HttpResult call(const std::string& method, const std::string& path, const std::string& key, const std::string& body = "") {
        return httpCall(_port, method, path, key, body);
    }

private:
    void finish() {
        _handle->wait();
        _handle.reset();
        Poco::PipeInputStream in(_out);
        std::string ignored;
        Poco::StreamCopier::copyToString(in, ignored);
    }
    unsigned short _port;
    Poco::Pipe _out;
    std::unique_ptr<Poco::ProcessHandle> _handle;
};

class ServeWebhookProcessTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        if (GetParam() == "sqlite") dbArgs = {"--data-dir", db->dir() + "/var"};
        else dbArgs = {"--db", db->url()};
    }
    CommandResult admin(std::vector<std::string> args) {
        args.insert(args.begin(), {PASSERELLE_BINARY, "admin"});
        args.insert(args.end(), dbArgs.begin(), dbArgs.end());
        return run(args);
    }
    std::string newKey(const std::string& org) {
        auto r = admin({"create-key", org});
        std::istringstream in(r.out);
        std::string line;
        while (std::getline(in, line))
            if (storage::looksLikeApiKey(line)) return line;
        ADD_FAILURE() << r.out << r.err;
        return "";
    }
    std::unique_ptr<TestDatabase> db;
    std::vector<std::string> dbArgs;
};

// The push status of `transmission` as the association sees it (GET /v1/documents/{id}/transmissions).
Object::Ptr pushOf(ServeProcess& server, const std::string& key, const std::string& doc, const std::string& transmission) {
    auto r = server.call("GET", "/v1/documents/" + doc + "/transmissions", key);
    if (r.status != 200) return nullptr;
    auto arr = r.json()->getArray("transmissions");
    for (unsigned i = 0; i < arr->size(); ++i)
        if (arr->getObject(i)->getValue<std::string>("id") == transmission) return arr->getObject(i)->getObject("push");
    return nullptr;
}

TEST_P(ServeWebhookProcessTest, PushedWithIdempotencyKeyAndExactlyOnceAcrossSigkill) {
    Receiver rx;
    ASSERT_EQ(admin({"create-org", "ADALEA", "--kind", "association"}).exitCode, 0);
    ASSERT_EQ(admin({"create-org", "Côtes d'Armor Habitat", "--kind", "bailleur"}).exitCode, 0);
    const std::string keyA = newKey("ADALEA");
    const std::string keyBailleur = newKey("Côtes d'Armor Habitat");
    auto hook = admin({"set-webhook", "Côtes d'Armor Habitat", rx.url()});
    ASSERT_EQ(hook.exitCode, 0) << hook.err;

    std::string doc, trn1, trn2;
    {
        ServeProcess server(dbArgs);
        auto dossier = server.call("POST", "/v1/dossiers", keyA, R"({"reference":"ADA-2026-0042"})");
        ASSERT_EQ(dossier.status, 201) << dossier.body;
        const std::string dossierId = dossier.json()->getValue<std::string>("id");
        auto d = server.call("POST", "/v1/documents", keyA,
                             documentBody("fiche-navette", dossierId, "", "fiche-navette-association-vers-bailleur.json"));
        ASSERT_EQ(d.status, 201) << d.body;
        doc = d.json()->getValue<std::string>("id");
        const std::string consent = R"({"kind":"consent","recipient":"Côtes d'Armor Habitat",
            "givenBy":{"name":"Yannick Le Gall","capacity":"household_member"},
            "scope":{"documentKinds":["fiche-navette"],"categories":["logement","identite","partenaire"]},
            "purpose":"Préparer la commission d'attribution.",
            "how":{"method":"in_person","recordedBy":"Gwenaëlle Le Bihan"}})";
        ASSERT_EQ(server.call("POST", "/v1/dossiers/" + dossierId + "/consents", keyA, consent).status, 201);
        const std::string to = R"({"to":"Côtes d'Armor Habitat"})";

        // 1. Receiver up: the serve process pushes the payload with an Idempotency-Key.
        auto t1 = server.call("POST", "/v1/documents/" + doc + "/transmit", keyA, to);
        ASSERT_EQ(t1.status, 201) << t1.body;
        trn1 = t1.json()->getValue<std::string>("id");
        ASSERT_TRUE(waitFor([&] { return !rx.hitsFor(trn1, 200).empty(); })) << "no delivery within 20 s";
        const auto first = rx.hitsFor(trn1, 200);
        ASSERT_EQ(first.size(), 1u);
        EXPECT_EQ(first.front().key.rfind("msg_", 0), 0u) << first.front().key;
        auto push = pushOf(server, keyA, doc, trn1);
        ASSERT_TRUE(push);
        EXPECT_TRUE(waitFor([&] {
            auto p = pushOf(server, keyA, doc, trn1);
            return p && p->getValue<std::string>("status") == "delivered";
        }));

        // 2. Receiver down (503): a transmission, its first attempt fails and is
        // recorded; SIGKILL right then, before the retry.
        rx.answer = 503;
        auto t2 = server.call("POST", "/v1/documents/" + doc + "/transmit", keyA, to);
        ASSERT_EQ(t2.status, 201) << t2.body;
        trn2 = t2.json()->getValue<std::string>("id");
        ASSERT_TRUE(waitFor([&] {
            auto p = pushOf(server, keyA, doc, trn2);
            return p && p->getValue<int>("attempts") >= 1;
        })) << "no failed attempt recorded within 20 s";
        auto failed = pushOf(server, keyA, doc, trn2);
        EXPECT_EQ(failed->getValue<std::string>("status"), "pending");
        EXPECT_EQ(failed->optValue<std::string>("lastError", ""), "http_503");
        EXPECT_EQ(rx.hitsFor(trn2, 503).size(), 1u);
        server.kill();
    }
    EXPECT_TRUE(rx.hitsFor(trn2, 200).empty());

    // 3. Receiver back up, server restarted: the retry comes from the database.
    rx.answer = 200;
    ServeProcess again(dbArgs);
    ASSERT_TRUE(waitFor([&] { return !rx.hitsFor(trn2, 200).empty(); })) << "no delivery after restart within 20 s";
    // One more drain cycle (the worker runs every 2 s) must not deliver again.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const auto accepted = rx.hitsFor(trn2, 200);
    ASSERT_EQ(accepted.size(), 1u) << "exactly one accepted delivery";
    const auto refused = rx.hitsFor(trn2, 503);
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(accepted.front().key, refused.front().key) << "the retry carries the same Idempotency-Key";
    EXPECT_NE(accepted.front().key, rx.hitsFor(trn1, 200).front().key);
    EXPECT_EQ(rx.hitsFor(trn1, 200).size(), 1u) << "the first delivery was not repeated";
    auto push = pushOf(again, keyA, doc, trn2);
    ASSERT_TRUE(push);
    EXPECT_EQ(push->getValue<std::string>("status"), "delivered");
    EXPECT_EQ(push->getValue<int>("attempts"), 2);
    // The landlord has both copies; the audit chain is intact.
    EXPECT_EQ(again.call("GET", "/v1/received", keyBailleur).json()->getValue<int>("total"), 2);
    auto verify = run({PASSERELLE_BINARY, "audit", "verify", dbArgs[0], dbArgs[1]});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeWebhookProcessTest, ::testing::ValuesIn(storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return backendName(i.param); });

} // namespace
} // namespace passerelle::testing
