// Capacity of the stored API behind the event-driven front (issues 13 and 15):
//  - saturating the service with authenticated requests gives 200 or 429, never 500
//    (the database pool is sized from the worker count), and a revocation still
//    takes effect at once;
//  - 1 000 slowloris connections and 1 000 idle keep-alive connections leave
//    /healthz and an authenticated request answering within 1 s;
//  - SIGTERM to the real executable with creating requests in flight: each one
//    that was accepted completes, and what the clients were told matches the database.
// On SQLite and, when PASSERELLE_TEST_PG is set, on PostgreSQL.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/StreamCopier.h>

#include "api/ServeProcess.h"
#include "service/DossierService.h"
#include "support/RawClient.h"
#include "support/TestSupport.h"

namespace passerelle::testing {
namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

const char* FICHE = "fiche-navette-association-vers-bailleur.json";

class CapacityTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        raiseOpenFileLimit();
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
    }

    // A server sized as `passerelle serve` sizes it: a pool of workers + 4 database sessions.
    void startServer(http::ServerConfig config) {
        config = config.resolved();
        storage::StoreConfig sc = db->config();
        sc.maxSessions = config.workers + 4;
        auto opened = storage::PocoStore::open(sc);
        ASSERT_TRUE(opened.isOk()) << opened.status().toString();
        store = opened.value();
        auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
        auto svc = std::make_shared<const service::DossierService>(store, renderer);
        auto router = std::make_shared<http::Router>();
        http::addRenderRoutes(*router, renderer);
        http::addApiRoutes(*router, svc);
        config.port = 0;
        server = std::make_unique<http::Server>(config, router);
        server->start();
    }
    void TearDown() override {
        if (server) server->stop();
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::unique_ptr<http::Server> server;
};

TEST_P(CapacityTest, SaturatingTheServiceGives200Or429NeverA500) {
    http::ServerConfig config;
    config.workers = 4;      // pool: 8 sessions for 96 concurrent clients
    config.queueLength = 32; // so that the queue does fill up
    startServer(config);
    std::string orgId;
    const std::string key = createOrgWithKey(*store, "ADGESTI", "association", &orgId);
    const std::string body = exampleJson(FICHE);
    const int kClients = 96;
    std::atomic<int> ok{0}, saturated{0}, other{0}, failures{0};
    std::mutex m;
    std::string firstOther;
    auto until = Clock::now() + std::chrono::seconds(4);
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i)
        clients.emplace_back([&, i] {
            // Alternate the authenticated routes: render (CPU) and a stored list (database).
            const bool render = i % 2 == 0;
            while (Clock::now() < until) {
                try {
                    Poco::Net::HTTPClientSession s("127.0.0.1", server->port());
                    s.setTimeout(Poco::Timespan(30, 0));
                    for (int n = 0; n < 50 && Clock::now() < until; ++n) {
                        Poco::Net::HTTPRequest req(render ? "POST" : "GET", render ? "/v1/render/fiche-navette" : "/v1/dossiers",
                                                   Poco::Net::HTTPMessage::HTTP_1_1);
                        req.set("Authorization", "Bearer " + key);
                        if (render) {
                            req.setContentType("application/json");
                            req.setContentLength(static_cast<std::streamsize>(body.size()));
                        }
                        std::ostream& os = s.sendRequest(req);
                        if (render) os << body;
                        Poco::Net::HTTPResponse resp;
                        std::string text;
                        Poco::StreamCopier::copyToString(s.receiveResponse(resp), text);
                        int st = resp.getStatus();
                        if (st == 200) ++ok;
                        else if (st == 429) {
                            ++saturated;
                            EXPECT_EQ(resp.get("Retry-After", ""), "1");
                        } else {
                            ++other;
                            std::lock_guard<std::mutex> g(m);
                            if (firstOther.empty()) firstOther = std::to_string(st) + " " + text.substr(0, 300);
                        }
                        if (!resp.getKeepAlive()) break;
                    }
                } catch (const Poco::Exception&) {
                    ++failures; // a closed keep-alive connection: reconnect
                }
            }
        });
    for (auto& t : clients) t.join();
    EXPECT_EQ(other.load(), 0) << firstOther;
    EXPECT_GT(ok.load(), 0);
    EXPECT_LT(failures.load(), ok.load() / 10 + 5);
    std::cout << "[ saturation ] 200: " << ok << ", 429: " << saturated << ", other: " << other
              << ", reconnects: " << failures << std::endl;
    // Revocation takes effect at once (the key is read from the database on every request).
    ASSERT_TRUE(store->revokeApiKey(key.substr(0, storage::API_KEY_PREFIX_CHARS)).isOk());
    EXPECT_EQ(httpCall(server->port(), "GET", "/v1/dossiers", key).status, 401);
}

TEST_P(CapacityTest, ThousandSlowlorisAndThousandIdleLeaveTheServiceAnswering) {
    startServer({}); // the shipped defaults
    const std::string key = createOrgWithKey(*store, "ADGESTI", "association");
    const unsigned short port = server->port();
    // From eight loopback addresses (250 connections each, under the per-address limit of 256).
    auto source = [](int i) { return "127.0.0." + std::to_string(2 + i % 8); };
    std::vector<int> slow, idle;
    for (int i = 0; i < 1000; ++i) {
        int fd = connectFrom(source(i), port);
        ASSERT_GE(fd, 0) << "slowloris " << i;
        sendAll(fd, "POST /v1/render/fiche-navette HTTP/1.1\r\nHost: x\r\n");
        slow.push_back(fd);
    }
    for (int i = 0; i < 1000; ++i) {
        int fd = connectFrom(source(i + 3), port);
        ASSERT_GE(fd, 0) << "idle " << i;
        idle.push_back(fd);
    }
    // Half of the idle ones have made a request and keep their connection open.
    for (std::size_t i = 0; i < idle.size(); i += 2) sendAll(idle[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    for (std::size_t i = 0; i < idle.size(); i += 2) ASSERT_EQ(statusOf(readResponse(idle[i], 5)), 200) << "idle " << i;
    // The slowloris clients send one header byte each, round after round.
    std::atomic<bool> stop{false};
    std::thread feeder([&] {
        while (!stop) {
            for (int fd : slow) {
                if (stop) break;
                ::send(fd, "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
    });
    EXPECT_GE(server->stats().connections, 1900u);
    for (int round = 0; round < 4; ++round) {
        auto t0 = Clock::now();
        EXPECT_EQ(httpCall(port, "GET", "/healthz", "").status, 200) << round;
        EXPECT_LT(secondsSince(t0), 1.0) << "/healthz, round " << round;
        t0 = Clock::now();
        auto r = httpCall(port, "POST", "/v1/render/fiche-navette", key, exampleJson(FICHE));
        EXPECT_EQ(r.status, 200) << round << " " << r.body.substr(0, 200);
        EXPECT_LT(secondsSince(t0), 1.0) << "authenticated render, round " << round;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    stop = true;
    feeder.join();
    for (int fd : slow) ::close(fd);
    for (int fd : idle) ::close(fd);
}

TEST_P(CapacityTest, SigtermLetsRequestsInFlightComplete) {
    // The real executable, on this database.
    std::vector<std::string> dbArgs;
    if (GetParam() == "sqlite") dbArgs = {"--data-dir", db->dir() + "/var"};
    else dbArgs = {"--db", db->url(), "--data-dir", db->dir() + "/var"}; // keys, checkpoints, seal: never the source tree's var/
    auto admin = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {PASSERELLE_BINARY, "admin"});
        args.insert(args.end(), dbArgs.begin(), dbArgs.end());
        return run(args);
    };
    ASSERT_EQ(admin({"create-org", "ADGESTI", "--kind", "association"}).exitCode, 0);
    std::string key;
    {
        std::istringstream in(admin({"create-key", "ADGESTI"}).out);
        for (std::string line; std::getline(in, line);)
            if (storage::looksLikeApiKey(line)) key = line;
    }
    ASSERT_FALSE(key.empty());
    const unsigned short port = freePort();
    std::vector<std::string> args = {"serve", "--port", std::to_string(port), "--workers", "2"};
    args.insert(args.end(), dbArgs.begin(), dbArgs.end());
    Poco::Pipe out;
    Poco::ProcessHandle handle = Poco::Process::launch(PASSERELLE_BINARY, args, nullptr, &out, nullptr);
    bool up = false;
    for (int i = 0; i < 200 && !up; ++i) {
        try {
            up = httpCall(port, "GET", "/healthz", "").status == 200;
        } catch (...) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ASSERT_TRUE(up);
    auto dossier = httpCall(port, "POST", "/v1/dossiers", key, R"({"reference":"ADG-2026-0147"})");
    ASSERT_EQ(dossier.status, 201) << dossier.body;
    // A contrat d'objectifs of 155 objectives (several pages): heavy enough that 24 of them on 2 workers
    // still run after the 60 ms before SIGTERM, even on a quiet machine.
    Poco::JSON::Object::Ptr contrat = readJson(sourceDir() + "/examples/contrat-objectifs-amli-acces.json");
    auto objectifs = contrat->getArray("objectifs");
    for (int k = 0; k < 150; ++k) objectifs->add(objectifs->getObject(static_cast<unsigned>(k % 5)));
    std::ostringstream data;
    Poco::JSON::Stringifier::stringify(contrat, data);
    const std::string body = "{\"form\":\"contrat-objectifs\",\"dossier\":\"" + dossier.json()->getValue<std::string>("id") +
                             "\",\"data\":" + data.str() + "}";

    // 24 creating requests at once on 2 workers: most are queued or running when SIGTERM arrives.
    const int kClients = 24;
    std::vector<int> status(kClients, 0);
    std::vector<double> answeredAt(kClients, 0);
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    auto t0 = Clock::now();
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i)
        clients.emplace_back([&, i] {
            ++ready;
            while (!go) std::this_thread::yield();
            try {
                status[i] = httpCall(port, "POST", "/v1/documents", key, body).status;
            } catch (const Poco::Exception&) {
                status[i] = -1; // refused or cut: the client does not know
            }
            answeredAt[i] = secondsSince(t0);
        });
    while (ready < kClients) std::this_thread::yield();
    go = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    const double sigtermAt = secondsSince(t0);
    ::kill(static_cast<pid_t>(handle.id()), SIGTERM);
    for (auto& t : clients) t.join();
    const int exitCode = handle.wait();
    std::string printed;
    Poco::PipeInputStream pin(out);
    Poco::StreamCopier::copyToString(pin, printed);
    EXPECT_EQ(exitCode, 0) << printed;
    EXPECT_NE(printed.find("Passerelle arrêtée."), std::string::npos) << printed;

    int created = 0, afterSigterm = 0, cut = 0;
    for (int i = 0; i < kClients; ++i) {
        if (status[i] == 201) {
            ++created;
            if (answeredAt[i] > sigtermAt) ++afterSigterm;
        } else {
            EXPECT_EQ(status[i], -1) << "client " << i; // never a 5xx
            ++cut;
        }
    }
    EXPECT_GT(afterSigterm, 0) << "requests were in flight at SIGTERM and still completed";
    EXPECT_EQ(cut, 0) << "every client connected before SIGTERM was answered";

    // What the clients were told is what the database holds: no acknowledged document lost, none unacknowledged.
    ServeProcess again(dbArgs);
    auto list = again.call("GET", "/v1/documents?limit=500", key);
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(list.json()->getValue<int>("total"), created) << list.body.substr(0, 300);
    std::cout << "[ sigterm ] created: " << created << " (answered after SIGTERM: " << afterSigterm << "), cut: " << cut << std::endl;
}

INSTANTIATE_TEST_SUITE_P(Backends, CapacityTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

} // namespace
} // namespace passerelle::testing
