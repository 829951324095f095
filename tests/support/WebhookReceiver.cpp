#include "support/WebhookReceiver.h"

#include <chrono>
#include <cstdlib>

#include "delivery/WebhookTarget.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace passerelle::testing {

class WebhookReceiver::Handler : public Poco::Net::HTTPRequestHandler {
public:
    explicit Handler(WebhookReceiver& r) : _r(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        std::string body;
        Poco::StreamCopier::copyToString(req.stream(), body);
        Hit h;
        h.key = req.get("Idempotency-Key", "");
        h.signature = req.get("X-Passerelle-Signature", "");
        h.body = body;
        try {
            h.transmission = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("transmission");
        } catch (const Poco::Exception&) {
        }
        std::string answerBody;
        {
            std::unique_lock<std::mutex> lock(_r._mu);
            if (_r._holding) {
                ++_r._held;
                _r._cv.notify_all();
                _r._cv.wait(lock, [&] { return !_r._holding; });
                --_r._held;
            }
            if (_r._failNext > 0) {
                --_r._failNext;
                h.answered = Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
                answerBody = "busy";
            } else {
                h.answered = _r._answer.load();
                answerBody = h.answered == 200 ? "ok" : "indisponible";
            }
            _r._hits.push_back(h);
            if (h.answered == 200) _r._accepted.emplace(h.key, body); // a repeated key changes nothing
        }
        resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(h.answered));
        resp.send() << answerBody;
    }

private:
    WebhookReceiver& _r;
};

class WebhookReceiver::Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit Factory(WebhookReceiver& r) : _r(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(_r);
    }

private:
    WebhookReceiver& _r;
};

void allowLoopbackWebhooks() {
    auto policy = delivery::webhookTargetPolicy();
    policy.allowHosts.insert("127.0.0.1");
    delivery::setWebhookTargetPolicy(policy);
    ::setenv("PASSERELLE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1", /*overwrite=*/0);
}

WebhookReceiver::WebhookReceiver() {
    allowLoopbackWebhooks();
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    _server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, new Poco::Net::HTTPServerParams);
    _server->start();
}

WebhookReceiver::~WebhookReceiver() {
    release();
    _server->stopAll(true);
}

void WebhookReceiver::hold() {
    std::lock_guard<std::mutex> lock(_mu);
    _holding = true;
}

void WebhookReceiver::release() {
    {
        std::lock_guard<std::mutex> lock(_mu);
        _holding = false;
    }
    _cv.notify_all();
}

bool WebhookReceiver::waitHeld(std::size_t n) {
    std::unique_lock<std::mutex> lock(_mu);
    return _cv.wait_for(lock, std::chrono::minutes(5), [&] { return _held >= n; });
}

std::string WebhookReceiver::url() const {
    return "http://127.0.0.1:" + std::to_string(_server->port()) + "/passerelle/webhook";
}

void WebhookReceiver::failNext(int requests) {
    std::lock_guard<std::mutex> lock(_mu);
    _failNext = requests;
}

std::size_t WebhookReceiver::requests() {
    std::lock_guard<std::mutex> lock(_mu);
    return _hits.size();
}

std::vector<std::string> WebhookReceiver::keys() {
    std::lock_guard<std::mutex> lock(_mu);
    std::vector<std::string> out;
    for (const auto& h : _hits) out.push_back(h.key);
    return out;
}

std::map<std::string, std::string> WebhookReceiver::bodies() {
    std::lock_guard<std::mutex> lock(_mu);
    return _accepted;
}

std::vector<WebhookReceiver::Hit> WebhookReceiver::hits() {
    std::lock_guard<std::mutex> lock(_mu);
    return _hits;
}

std::vector<WebhookReceiver::Hit> WebhookReceiver::hitsFor(const std::string& transmission, int status) {
    std::vector<Hit> out;
    for (const auto& h : hits())
        if (h.transmission == transmission && h.answered == status) out.push_back(h);
    return out;
}

} // namespace passerelle::testing
