#pragma once
// A landlord's webhook receiver on 127.0.0.1 (port 0): records every request with its
// Idempotency-Key and keeps the body of each key once when it accepts (answers 200).
// It can fail on demand: the next `failNext(n)` requests get a 503 ("busy"), and every
// request gets the status set by answer() (503: "down"). hold() makes it hang: every request
// then waits, unanswered, until release() (a receiver that hangs, under the test's control).
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco::Net {
class HTTPServer;
}

namespace passerelle::testing {

// Test receivers listen on loopback: allows webhooks to 127.0.0.1 in this process and in the
// processes it starts (PASSERELLE_WEBHOOK_ALLOW_HOSTS), as an operator would for a local receiver.
// WebhookReceiver's constructor calls it.
void allowLoopbackWebhooks();

class WebhookReceiver {
public:
    struct Hit {
        std::string key;          // Idempotency-Key
        std::string transmission; // "transmission" of a JSON body, "" otherwise
        int answered = 0;         // the status given
        std::string signature;    // X-Passerelle-Signature, "" when absent
        std::string body;         // as received
    };

    WebhookReceiver(); // listening when constructed
    ~WebhookReceiver();
    WebhookReceiver(const WebhookReceiver&) = delete;
    WebhookReceiver& operator=(const WebhookReceiver&) = delete;

    std::string url() const;
    void answer(int status) { _answer = status; }
    void failNext(int requests);

    // From now on each request waits, unanswered, until release(); waitHeld(n) returns once n
    // requests are waiting (or false if none came while the receiver is held for a very long
    // time: a safety net against a hung test, not a measure).
    void hold();
    void release();
    bool waitHeld(std::size_t n);

    std::size_t requests();                       // every request, accepted or not
    std::vector<std::string> keys();              // the key of every request
    std::map<std::string, std::string> bodies();  // key -> body, accepted ones, deduplicated
    std::vector<Hit> hits();                      // every request
    // Requests for `transmission` answered with `status`.
    std::vector<Hit> hitsFor(const std::string& transmission, int status);

private:
    class Handler;
    class Factory;
    std::mutex _mu;
    std::vector<Hit> _hits;
    std::map<std::string, std::string> _accepted;
    int _failNext = 0;
    bool _holding = false;
    std::size_t _held = 0;
    std::condition_variable _cv;
    std::atomic<int> _answer{200};
    std::unique_ptr<Poco::Net::HTTPServer> _server;
};

} // namespace passerelle::testing
