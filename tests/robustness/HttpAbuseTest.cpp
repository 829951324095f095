// Hostile HTTP clients against a real in-process server (render routes, no authentication):
// mutated examples, malformed requests over raw sockets, a body shorter than its Content-Length,
// a slow client, and many idle connections. After each, /healthz still answers quickly.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/StreamSocket.h>

#include "common/Text.h"
#include "http/HttpServer.h"
#include "robustness/FuzzSupport.h"
#include "support/HttpClient.h"
#include "support/RenderServer.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

class HttpAbuse : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server = startRenderServer().release(); // the shipped defaults: thread pool, timeouts, body limit
    }
    static void TearDownTestSuite() {
        delete server;
        server = nullptr;
    }

    using Response = HttpResult;
    static Response post(const std::string& uri, const std::string& body) {
        HttpOptions options;
        options.timeoutSeconds = 20;
        return httpRequest(server->port(), "POST", uri, body, "application/json", options);
    }

    // /healthz answers 200 within `seconds`.
    static void expectHealthyWithin(double seconds, const std::string& after) {
        auto t0 = Clock::now();
        int status = 0;
        try {
            HttpOptions options;
            options.timeoutSeconds = static_cast<long>(seconds) + 1;
            status = httpRequest(server->port(), "GET", "/healthz", "", "", options).status;
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "after " << after << ": /healthz failed: " << e.displayText();
        }
        EXPECT_EQ(status, 200) << "after " << after;
        EXPECT_LT(secondsSince(t0), seconds) << "after " << after << ": /healthz too slow";
    }

    // Sends raw bytes, then reads what the server answers until it closes or `readSeconds` pass.
    static std::string raw(const std::string& bytes, double readSeconds = 3, bool shutdownSend = true) {
        Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server->port()));
        s.setReceiveTimeout(Poco::Timespan(static_cast<long>(readSeconds * 1e6)));
        std::size_t sent = 0;
        try {
            while (sent < bytes.size()) sent += static_cast<std::size_t>(s.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
            if (shutdownSend) s.shutdownSend();
        } catch (const Poco::Exception&) {
            // The server may close early (e.g. headers over the limit).
        }
        std::string out;
        char buf[4096];
        try {
            for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
        } catch (const Poco::Exception&) {
        }
        return out;
    }
    static int statusOf(const std::string& response) {
        if (response.compare(0, 9, "HTTP/1.1 ") != 0 && response.compare(0, 9, "HTTP/1.0 ") != 0) return 0;
        return std::atoi(response.c_str() + 9);
    }

    static http::Server* server;
};
http::Server* HttpAbuse::server = nullptr;

} // namespace

TEST_F(HttpAbuse, MutatedExamplesGet200Or400WithFieldPaths) {
    auto examples = exampleFiles();
    int ok = 0, invalid = 0;
    for (const auto& ex : examples) {
        const std::string original = readFile(ex.file);
        Prng rng(0xB0D1E5ULL + ex.name.size());
        for (int i = 0; i < 6; ++i) {
            Mutant m = mutate(original, rng);
            std::string label = ex.name + " #" + std::to_string(i);
            for (const auto& a : m.applied) label += " [" + a + "]";
            Response r = post("/v1/render/" + ex.form, m.json);
            ASSERT_TRUE(r.status == 200 || r.status == 400) << label << " → " << r.status << " " << r.body.substr(0, 300);
            if (r.status == 200) { ++ok; continue; }
            ++invalid;
            ASSERT_TRUE(text::isValidUtf8(r.body)) << label;
            Poco::JSON::Parser p;
            auto err = p.parse(r.body).extract<Poco::JSON::Object::Ptr>();
            EXPECT_FALSE(err->getValue<std::string>("error").empty()) << label;
            EXPECT_FALSE(err->getValue<std::string>("message").empty()) << label;
            auto details = err->getArray("details");
            for (unsigned k = 0; details && k < details->size(); ++k)
                EXPECT_TRUE(isJsonPointer(details->getObject(k)->getValue<std::string>("path"))) << label;
        }
    }
    EXPECT_GT(ok, 0);
    EXPECT_GT(invalid, 0);
    expectHealthyWithin(2, "mutated examples");
}

TEST_F(HttpAbuse, MalformedRequestLinesAndHugeHeaders) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"garbage line", "GARBAGE\r\n\r\n"},
        {"no URI", "GET\r\n\r\n"},
        {"bad version", "GET /healthz HTTP/9.9\r\n\r\n"},
        {"binary", std::string("\x00\xff\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 13)},
        {"bad percent-escape", "GET /v1/forms/%zz HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"URI of 100 KB", "GET /" + std::string(100000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"header of 100 KB", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n"},
        {"5000 headers", [] { std::string s = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
                              for (int i = 0; i < 5000; ++i) s += "X-H" + std::to_string(i) + ": v\r\n";
                              return s + "\r\n"; }()},
        {"negative Content-Length", "POST /v1/render/fiche-navette HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}"},
        {"absurd Content-Length", "POST /v1/render/fiche-navette HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999999\r\n\r\n{}"},
        {"bad chunk size", "POST /v1/render/fiche-navette HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"},
    };
    for (const auto& [name, bytes] : cases) {
        auto t0 = Clock::now();
        std::string answer = raw(bytes);
        EXPECT_LT(secondsSince(t0), 4.0) << name;
        int status = statusOf(answer);
        // Either a 4xx answer or a closed connection; never a 2xx for garbage nor a 5xx.
        EXPECT_TRUE(status == 0 || (status >= 400 && status < 500)) << name << " → " << answer.substr(0, 200);
        expectHealthyWithin(2, name);
    }
}

TEST_F(HttpAbuse, BodyShorterThanContentLengthIsRefusedNotRendered) {
    // A complete, valid document, but the client announced more bytes and then stopped sending:
    // the body is incomplete, so nothing may be rendered from it.
    std::string body = readFile(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    std::string head = "POST /v1/render/fiche-navette HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size() + 500) + "\r\n\r\n";
    auto t0 = Clock::now();
    std::string answer = raw(head + body, 5);
    EXPECT_LT(secondsSince(t0), 5.5);
    EXPECT_EQ(statusOf(answer), 400) << answer.substr(0, 300);
    EXPECT_NE(answer.find("body_incomplete"), std::string::npos) << answer.substr(0, 300);
    expectHealthyWithin(2, "short body");
}

TEST_F(HttpAbuse, SlowClientDoesNotBlockOthers) {
    Poco::Net::StreamSocket slow(Poco::Net::SocketAddress("127.0.0.1", server->port()));
    slow.sendBytes("POST /v1/render/fiche-navette HTTP/1.1\r\nHost: x\r\n", 48);
    auto t0 = Clock::now();
    for (int i = 0; i < 6; ++i) { // ~3 s of one header byte every 0.5 s
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        try { slow.sendBytes("X", 1); } catch (const Poco::Exception&) { break; }
        expectHealthyWithin(2, "slow client, byte " + std::to_string(i));
    }
    EXPECT_LT(secondsSince(t0), 20.0);
    slow.close();
    expectHealthyWithin(2, "slow client closed");
}

TEST_F(HttpAbuse, SixtyFourIdleConnectionsDoNotStarveHealthz) {
    const int kIdle = std::getenv("IDLE") ? std::atoi(std::getenv("IDLE")) : 64;
    std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
    for (int i = 0; i < kIdle; ++i) {
        idle.push_back(std::make_unique<Poco::Net::StreamSocket>(Poco::Net::SocketAddress("127.0.0.1", server->port())));
        if (i % 2) idle.back()->sendBytes("GET /healthz HTTP/1.1\r\n", 23); // half of them mid-request
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let the server accept them all
    expectHealthyWithin(2, "64 idle connections");
    idle.clear();
    expectHealthyWithin(2, "idle connections closed");
}
