#include "delivery/Outbox.h"

#include "delivery/WebhookTarget.h"

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
    return postWebhook(m.url, {{"Idempotency-Key", m.id}, {"X-Passerelle-Transmission", m.transmissionId}}, m.body,
                       _timeoutSeconds);
}

Status OutboxStore::markCancelled(const std::string& id, std::int64_t, const std::string& reason, const std::string&) {
    return markFailed(id, 0, 0, /*dead=*/true, "cancelled: " + reason);
}

Result<Attempt> OutboxStore::attemptInTransaction(const OutboxMessage& m, std::int64_t nowMs, const RetryPolicy& policy,
                                                  const AttemptFn& attempt) {
    Attempt a = attempt(m);
    if (a.skipped) return a;
    Status st;
    if (a.cancelled) st = markCancelled(m.id, nowMs, a.cancelReason, a.cancelDetails);
    else if (a.result.delivered) st = markDelivered(m.id, nowMs, a.result.httpStatus);
    else {
        const int attempts = m.attempts + 1;
        st = markFailed(m.id, attempts, nowMs + policy.delayAfter(attempts),
                        a.result.permanent || attempts >= policy.maxAttempts, a.result.error);
    }
    if (!st.isOk()) return st;
    return a;
}

Result<int> OutboxWorker::runOnce(std::int64_t nowMs, int batch, std::int64_t leaseMs) {
    auto claimed = _store.claimDue(nowMs, batch, leaseMs);
    if (!claimed.isOk()) return claimed.status();
    int delivered = 0;
    if (_guard) {
        for (const auto& m : claimed.value()) {
            auto a = _store.attemptInTransaction(m, nowMs, _policy, [&](const OutboxMessage& current) {
                Attempt at = _guard(current, nowMs);
                if (at.skipped || at.cancelled || !at.result.error.empty()) return at;
                at.result = _sender.send(current);
                return at;
            });
            if (!a.isOk()) return a.status();
            if (a.value().skipped) continue;
            if (a.value().cancelled) {
                if (_onCancel) _onCancel(m, a.value());
                continue;
            }
            const SendResult& r = a.value().result;
            const int attempts = m.attempts + 1;
            const bool dead = !r.delivered && (r.permanent || attempts >= _policy.maxAttempts);
            if (r.delivered) ++delivered;
            if (_observer) _observer(m, r, dead);
        }
        return delivered;
    }
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
