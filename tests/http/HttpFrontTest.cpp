// The event-driven front of http::Server over real sockets: the bounded queue
// (429 + Retry-After), head limits and deadlines, Expect: 100-continue,
// chunked bodies, pipelining, slow readers (bounded memory for unsent
// responses), the per-request time limit and the drain on stop().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/Deadline.h"
#include "http/HttpServer.h"
#include "support/RawClient.h"
#include "support/HttpClient.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A router with test routes: /slow (sleeps `ms`), /big (a body of `bytes`), /spin (works until the deadline),
// /echo (returns the body) and the inline /healthz.
std::shared_ptr<http::Router> testRouter() {
    auto router = std::make_shared<http::Router>();
    router->addInline("GET", "/healthz", [](const http::Request&) {
        http::Reply r;
        r.body = R"({"status":"ok"})";
        return r;
    });
    router->add("GET", "/slow/([0-9]+)", [](const http::Request& r) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(r.params[0])));
        http::Reply rep;
        rep.body = R"({"slept":true})";
        return rep;
    });
    router->add("GET", "/big/([0-9]+)", [](const http::Request& r) {
        http::Reply rep;
        rep.contentType = "application/pdf";
        rep.body.assign(std::stoul(r.params[0]), 'x');
        return rep;
    });
    router->add("GET", "/spin", [](const http::Request&) {
        while (!Deadline::expired()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return http::Reply::error(Deadline::status());
    });
    router->add("POST", "/echo", [](const http::Request& r) {
        http::Reply rep;
        rep.contentType = "text/plain";
        rep.body = r.body;
        return rep;
    }, /*jsonBody=*/false);
    return router;
}

std::unique_ptr<http::Server> start(http::ServerConfig config) {
    config.port = 0;
    auto s = std::make_unique<http::Server>(config, testRouter());
    s->start();
    return s;
}

HttpResult get(unsigned short port, const std::string& uri, long timeout = 10) {
    HttpOptions o;
    o.timeoutSeconds = timeout;
    return httpRequest(port, "GET", uri, "", "", o);
}

} // namespace

TEST(HttpFront, FullQueueAnswers429WithRetryAfterAtOnce) {
    http::ServerConfig config;
    config.workers = 1;
    config.queueLength = 2;
    auto server = start(config);
    const int kClients = 12;
    std::vector<HttpResult> results(kClients);
    std::vector<double> seconds(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i)
        threads.emplace_back([&, i] {
            auto t0 = Clock::now();
            results[i] = get(server->port(), "/slow/400");
            seconds[i] = secondsSince(t0);
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    // The workers are busy and the queue is full: /healthz (answered by the I/O thread) still answers at once.
    auto t0 = Clock::now();
    EXPECT_EQ(get(server->port(), "/healthz").status, 200);
    EXPECT_LT(secondsSince(t0), 0.5);
    for (auto& t : threads) t.join();
    int ok = 0, saturated = 0;
    for (int i = 0; i < kClients; ++i) {
        const auto& r = results[i];
        if (r.status == 200) { ++ok; continue; }
        ASSERT_EQ(r.status, 429) << r.body;
        ++saturated;
        EXPECT_EQ(r.header("Retry-After"), "1");
        EXPECT_EQ(r.error(), "service_saturated");
        EXPECT_NE(r.body.find("Service saturé"), std::string::npos) << r.body;
        EXPECT_LT(seconds[i], 0.35) << "a 429 is immediate, not queued";
    }
    // One running and two queued; when the clients arrive before the worker took the first job off
    // the queue, the queue's two places are all there is (seen on a clean CI run): at least two.
    EXPECT_GE(ok, 2) << "the queue's places";
    EXPECT_LE(ok, 5);
    EXPECT_GE(saturated, kClients - 5);
    EXPECT_EQ(server->stats().rejectedSaturated, static_cast<std::uint64_t>(saturated));
}

TEST(HttpFront, HeadLimitsGiveJsonErrorsInFrench) {
    auto server = start({});
    struct Case { std::string name, bytes; int status; std::string error; };
    std::vector<Case> cases = {
        {"URI of 100 KB", "GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"},
        {"header of 100 KB", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n", 431, "headers_too_large"},
        {"500 headers", [] { std::string s = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
                             for (int i = 0; i < 500; ++i) s += "X-H" + std::to_string(i) + ": v\r\n";
                             return s + "\r\n"; }(), 431, "too_many_headers"},
        {"bad version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad_request"},
        {"garbage", "GARBAGE\r\n\r\n", 400, "bad_request"},
        {"CL and TE", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400, "bad_request"},
        {"bad chunk", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400, "bad_chunked_body"},
    };
    for (const auto& c : cases) {
        int fd = connectFrom("127.0.0.1", server->port());
        ASSERT_GE(fd, 0);
        sendAll(fd, c.bytes);
        std::string answer = readFor(fd, 3);
        ::close(fd);
        EXPECT_EQ(statusOf(answer), c.status) << c.name << ": " << answer.substr(0, 200);
        EXPECT_NE(answer.find("\"error\":\"" + c.error + "\""), std::string::npos) << c.name << ": " << answer.substr(0, 300);
        EXPECT_NE(answer.find("Content-Type: application/json"), std::string::npos) << c.name;
        EXPECT_NE(answer.find("Connection: close"), std::string::npos) << c.name;
    }
    EXPECT_EQ(get(server->port(), "/healthz").status, 200);
}

TEST(HttpFront, HeadHasATotalDeadlineNotAPerByteOne) {
    http::ServerConfig config;
    config.timeoutSeconds = 1;
    auto server = start(config);
    int fd = connectFrom("127.0.0.1", server->port());
    ASSERT_GE(fd, 0);
    sendAll(fd, "GET /healthz HTTP/1.1\r\n");
    auto t0 = Clock::now();
    std::string answer;
    // One byte every 200 ms would keep a per-byte timeout happy for ever.
    for (int i = 0; i < 20 && answer.empty(); ++i) {
        if (!sendAll(fd, "X")) break;
        answer = readFor(fd, 0.2);
    }
    if (answer.empty()) answer = readFor(fd, 1);
    ::close(fd);
    EXPECT_EQ(statusOf(answer), 408) << answer;
    EXPECT_NE(answer.find("request_timeout"), std::string::npos) << answer;
    EXPECT_LT(secondsSince(t0), 2.0);
    EXPECT_GE(server->stats().closedHeadTimeouts, 1u);
}

TEST(HttpFront, ExpectContinueChunkedBodiesAndPipelining) {
    auto server = start({});
    // Expect: 100-continue (what curl sends for bodies over 1 KB): the body follows the interim answer.
    int fd = connectFrom("127.0.0.1", server->port());
    ASSERT_GE(fd, 0);
    std::string body(5000, 'b');
    sendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(readFor(fd, 2, "\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
    sendAll(fd, body);
    std::string r = readResponse(fd, 5);
    EXPECT_EQ(statusOf(r), 200) << r.substr(0, 200);
    EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), body);
    // Chunked, then a pipelined second request on the same connection.
    sendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n"
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string both = readFor(fd, 5, "{\"status\":\"ok\"}");
    std::size_t split = both.find("abcdefg");
    ASSERT_NE(split, std::string::npos) << both;
    std::string first = both.substr(0, split + 7), second = both.substr(split + 7);
    EXPECT_EQ(statusOf(first), 200) << first;
    EXPECT_EQ(first.substr(first.find("\r\n\r\n") + 4), "abcdefg");
    EXPECT_EQ(statusOf(second), 200) << second;
    EXPECT_NE(second.find("{\"status\":\"ok\"}"), std::string::npos);
    ::close(fd);
}

TEST(HttpFront, RequestTimeLimitStopsTheWorkAndFreesTheWorker) {
    http::ServerConfig config;
    config.workers = 1;
    config.requestTimeoutMs = 300;
    auto server = start(config);
    auto t0 = Clock::now();
    HttpResult r = get(server->port(), "/spin");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.error(), "render_timeout");
    EXPECT_NE(r.body.find("durée maximale de 300 ms"), std::string::npos) << r.body;
    EXPECT_LT(secondsSince(t0), 2.0);
    // The only worker is free again.
    EXPECT_EQ(get(server->port(), "/slow/1").status, 200);
}

TEST(HttpFront, ClientsThatNeverReadDoNotHoldUnboundedMemory) {
    raiseOpenFileLimit();
    http::ServerConfig config;
    config.workers = 2;
    config.queueLength = 4;
    config.maxPendingResponseBytes = 8 * 1024 * 1024;
    config.writeTimeoutSeconds = 2;
    config.socketSendBufferBytes = 64 * 1024; // little in the kernel: what is held is the front's
    auto server = start(config);
    const std::size_t kResponse = 1500 * 1000; // a large PDF
    const int kClients = 120;                   // 180 MB if every response were held
    std::vector<int> fds;
    for (int i = 0; i < kClients; ++i) {
        int fd = connectFrom("127.0.0.1", server->port(), /*rcvbuf=*/4096);
        ASSERT_GE(fd, 0);
        sendAll(fd, "GET /big/" + std::to_string(kResponse) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        fds.push_back(fd);
    }
    // Bound: the limit plus what the workers and the queue may still produce.
    const std::size_t bound = config.maxPendingResponseBytes + (2 + 4 + 1) * (kResponse + 512);
    std::size_t peak = 0;
    auto t0 = Clock::now();
    while (secondsSince(t0) < 1.5) {
        peak = std::max(peak, server->stats().pendingResponseBytes);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GT(peak, 0u);
    EXPECT_LE(peak, bound);
    // The service still answers, and new work is refused with 429 while the memory is held.
    auto th = Clock::now();
    EXPECT_EQ(get(server->port(), "/healthz").status, 200);
    EXPECT_LT(secondsSince(th), 1.0);
    EXPECT_GT(server->stats().rejectedSaturated, 0u);
    // After the write timeout the slow readers are dropped and the memory comes back.
    t0 = Clock::now();
    while (server->stats().pendingResponseBytes > 0 && secondsSince(t0) < 8)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(server->stats().pendingResponseBytes, 0u);
    EXPECT_GT(server->stats().closedSlowReaders, 0u);
    for (int fd : fds) ::close(fd);
    EXPECT_EQ(get(server->port(), "/big/1000").status, 200);
}

TEST(HttpFront, PerClientConnectionLimit) {
    raiseOpenFileLimit();
    http::ServerConfig config;
    config.maxConnectionsPerClient = 20;
    auto server = start(config);
    std::vector<int> fds;
    for (int i = 0; i < 20; ++i) {
        int fd = connectFrom("127.0.0.3", server->port());
        ASSERT_GE(fd, 0);
        fds.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int extra = connectFrom("127.0.0.3", server->port());
    ASSERT_GE(extra, 0);
    std::string refused = readFor(extra, 2);
    EXPECT_EQ(statusOf(refused), 429) << refused;
    EXPECT_NE(refused.find("too_many_connections"), std::string::npos) << refused;
    ::close(extra);
    // Another address is not affected.
    EXPECT_EQ(get(server->port(), "/healthz").status, 200);
    for (int fd : fds) ::close(fd);
}

TEST(HttpFront, StopDrainsRequestsInFlight) {
    http::ServerConfig config;
    config.workers = 2;
    auto server = start(config);
    const unsigned short port = server->port();
    std::vector<HttpResult> results(6);
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) threads.emplace_back([&, i] { results[i] = get(port, "/slow/500"); });
    int idle = connectFrom("127.0.0.1", port); // an idle keep-alive connection: closed at once by the drain
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto t0 = Clock::now();
    server->stop(); // running and queued requests finish first
    double took = secondsSince(t0);
    for (auto& t : threads) t.join();
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(results[i].status, 200) << i;
        EXPECT_EQ(results[i].header("Connection"), "close") << i;
    }
    EXPECT_GT(took, 0.5);
    EXPECT_LT(took, 5.0);
    EXPECT_EQ(readFor(idle, 1), "");
    ::close(idle);
    EXPECT_LT(connectFrom("127.0.0.1", port), 0) << "no longer listening";
}

// A client that leaves while its request is worked on — closing normally (FIN), resetting (RST) or
// shutting down its sending side — stops the work: the only worker is free again at once, not when
// the 30 s limit ends it. (As nginx does, an end of stream during a request means the client left.)
TEST(HttpFront, ADepartedClientStopsItsWork) {
    struct Way { const char* name; int how; };
    for (const Way& way : {Way{"close (FIN)", 0}, Way{"reset (RST)", 1}, Way{"shutdown(SHUT_WR)", 2}}) {
        SCOPED_TRACE(way.name);
        http::ServerConfig config;
        config.workers = 1;
        config.requestTimeoutMs = 30000;
        auto server = start(config);
        int fd = connectFrom("127.0.0.1", server->port());
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(sendAll(fd, "GET /spin HTTP/1.1\r\nHost: x\r\n\r\n"));
        std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the worker is spinning
        if (way.how == 1) {
            linger l{1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        if (way.how == 2) ::shutdown(fd, SHUT_WR);
        else ::close(fd);
        auto t0 = Clock::now();
        HttpResult r = get(server->port(), "/slow/1", 5);
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_LT(secondsSince(t0), 2.0) << "the departed client's work went on";
        if (way.how == 2) ::close(fd);
        server->stop();
    }
}

// A route may take a larger body than the server's limit (a scanned autorisation); every other
// route keeps the server's limit, and beyond the route's own the answer is 413 naming it.
TEST(HttpFront, ARouteCanAcceptALargerBodyThanTheServer) {
    http::ServerConfig config;
    config.maxBodyBytes = 4096;
    config.port = 0;
    auto router = testRouter();
    router->add("POST", "/scan/([a-z]+)", [](const http::Request& r) {
        http::Reply rep;
        rep.contentType = "text/plain";
        rep.body = std::to_string(r.body.size());
        return rep;
    });
    EXPECT_EQ(router->allowBody("POST", "/scan/papier", 65536), 1);
    EXPECT_EQ(router->allowBody("POST", "/nulle-part", 65536), 0);
    http::Server server(config, router);
    server.start();
    HttpOptions o;
    o.timeoutSeconds = 10;
    const std::string body(10000, 's');
    auto echo = httpRequest(server.port(), "POST", "/echo", body, "text/plain", o);
    EXPECT_EQ(echo.status, 413) << echo.body;
    EXPECT_NE(echo.body.find("4096"), std::string::npos) << echo.body;
    auto scan = httpRequest(server.port(), "POST", "/scan/papier", body, "text/plain", o);
    EXPECT_EQ(scan.status, 200) << scan.body;
    EXPECT_EQ(scan.body, "10000");
    auto tooBig = httpRequest(server.port(), "POST", "/scan/papier", std::string(70000, 's'), "text/plain", o);
    EXPECT_EQ(tooBig.status, 413);
    EXPECT_NE(tooBig.body.find("65536"), std::string::npos) << tooBig.body;
    server.stop();
}

// Authenticated routes: a body that arrived with its head is authenticated, routed and handled in
// one pass; a pipelined request behind it is answered next; a refused key still gets 401.
TEST(HttpFront, ABodyThatCameWithItsHeadIsHandledInTheAuthenticatingPass) {
    http::ServerConfig config;
    config.port = 0;
    auto router = testRouter();
    std::atomic<int> authentications{0};
    router->requireAuthentication(
        [&](const http::Request& r) -> Result<service::Caller> {
            ++authentications;
            auto h = r.headers.find("authorization");
            if (h == r.headers.end() || h->second != "Bearer bonne-cle")
                return Status::unauthenticated("unauthenticated", "Clé refusée.");
            service::Caller c;
            c.organisationId = "org_test";
            return c;
        },
        "/echo");
    http::Server server(config, router);
    server.start();
    int fd = connectFrom("127.0.0.1", server.port());
    ASSERT_GE(fd, 0);
    sendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bonne-cle\r\nContent-Length: 5\r\n\r\nhello"
                "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bonne-cle\r\nContent-Length: 6\r\n\r\nworld!");
    std::string both = readFor(fd, 5, "world!");
    std::size_t split = both.find("hello");
    ASSERT_NE(split, std::string::npos) << both;
    EXPECT_EQ(statusOf(both), 200) << both;
    EXPECT_EQ(statusOf(both.substr(split + 5)), 200) << both;
    EXPECT_NE(both.find("world!", split), std::string::npos);
    EXPECT_EQ(authentications.load(), 2);
    sendAll(fd, "POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer mauvaise\r\nContent-Length: 5\r\n\r\nhello");
    std::string refused = readResponse(fd, 5);
    EXPECT_EQ(statusOf(refused), 401) << refused;
    EXPECT_EQ(refused.find("hello"), std::string::npos);
    ::close(fd);
    server.stop();
}
