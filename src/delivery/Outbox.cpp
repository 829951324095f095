#include "delivery/Outbox.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace passerelle::delivery {

std::int64_t RetryPolicy::delayAfter(int attempts) const {
    std::int64_t d = baseMs;
    for (int i = 1; i < attempts && d < capMs; ++i) d *= 2;
    return d < capMs ? d : capMs;
}

SendResult HttpSender::send(const OutboxMessage& m) {
    SendResult r;
    try {
        Poco::URI uri(m.url);
        if (uri.getScheme() != "http") {
            r.error = "scheme_unsupported";
            return r;
        }
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        session.setTimeout(Poco::Timespan(_timeoutSeconds, 0));
        std::string path = uri.getPathAndQuery();
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path.empty() ? "/" : path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json; charset=utf-8");
        req.setContentLength(static_cast<std::streamsize>(m.body.size()));
        req.set("Idempotency-Key", m.id);
        req.set("X-Passerelle-Transmission", m.transmissionId);
        session.sendRequest(req) << m.body;
        Poco::Net::HTTPResponse resp;
        std::istream& in = session.receiveResponse(resp);
        Poco::NullOutputStream sink;
        Poco::StreamCopier::copyStream(in, sink);
        r.httpStatus = resp.getStatus();
        r.delivered = r.httpStatus >= 200 && r.httpStatus < 300;
        if (!r.delivered) r.error = "http_" + std::to_string(r.httpStatus);
    } catch (const Poco::Exception& e) {
        r.error = e.displayText();
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return r;
}

Result<int> OutboxWorker::runOnce(std::int64_t nowMs, int batch, std::int64_t leaseMs) {
    auto claimed = _store.claimDue(nowMs, batch, leaseMs);
    if (!claimed.isOk()) return claimed.status();
    int delivered = 0;
    for (const auto& m : claimed.value()) {
        SendResult r = _sender.send(m);
        int attempts = m.attempts + 1;
        bool dead = false;
        Status st;
        if (r.delivered) {
            st = _store.markDelivered(m.id, nowMs, r.httpStatus);
            ++delivered;
        } else {
            dead = r.permanent || attempts >= _policy.maxAttempts;
            st = _store.markFailed(m.id, attempts, nowMs + _policy.delayAfter(attempts), dead, r.error);
        }
        if (_observer) _observer(m, r, dead);
        if (!st.isOk()) return st;
    }
    return delivered;
}

} // namespace passerelle::delivery
