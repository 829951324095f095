#include "delivery/Outbox.h"

#include "delivery/WebhookTarget.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/RandomStream.h>
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

Result<std::vector<OutboxMessage>> OutboxStore::listDue(std::int64_t nowMs, int max) { return claimDue(nowMs, max, 0); }

Result<Leased> OutboxStore::leaseForSend(const OutboxMessage& m, const std::string&, std::int64_t nowMs, std::int64_t leaseMs,
                                         const RetryPolicy& policy, const Guard& guard) {
    Leased l;
    l.message = m;
    l.attempt = guard(m, nowMs);
    l.leaseUntilMs = nowMs + leaseMs;
    Status st;
    if (l.attempt.cancelled) st = markCancelled(m.id, nowMs, l.attempt.cancelReason, l.attempt.cancelDetails);
    else if (!l.attempt.skipped && !l.attempt.result.error.empty()) {
        const int attempts = m.attempts + 1;
        st = markFailed(m.id, attempts, nowMs + policy.delayAfter(attempts), attempts >= policy.maxAttempts,
                        l.attempt.result.error);
    }
    if (!st.isOk()) return st;
    return l;
}

Result<bool> OutboxStore::recordOutcome(const OutboxMessage& m, const std::string&, std::int64_t nowMs,
                                        const RetryPolicy& policy, const SendResult& r) {
    Status st;
    if (r.delivered) st = markDelivered(m.id, nowMs, r.httpStatus);
    else {
        const int attempts = m.attempts + 1;
        st = markFailed(m.id, attempts, nowMs + policy.delayAfter(attempts), r.permanent || attempts >= policy.maxAttempts,
                        r.error);
    }
    if (!st.isOk()) return st;
    return true;
}

namespace {
std::string randomOwner() {
    Poco::RandomInputStream rnd;
    unsigned char raw[8];
    rnd.read(reinterpret_cast<char*>(raw), sizeof raw);
    static const char* hex = "0123456789abcdef";
    std::string id = "wrk_";
    for (unsigned char c : raw) {
        id.push_back(hex[c >> 4]);
        id.push_back(hex[c & 0xF]);
    }
    return id;
}
} // namespace

OutboxWorker::OutboxWorker(OutboxStore& store, Sender& sender, RetryPolicy policy, AttemptObserver observer)
    : _store(store), _sender(sender), _policy(policy), _observer(std::move(observer)), _owner(randomOwner()) {}

Result<int> OutboxWorker::runOnce(std::int64_t nowMs, int batch, std::int64_t leaseMs) {
    int delivered = 0;
    if (_guard) {
        auto due = _store.listDue(nowMs, batch);
        if (!due.isOk()) return due.status();
        for (const auto& candidate : due.value()) {
            // (a) re-check and lease, one short transaction.
            auto leased = _store.leaseForSend(candidate, _owner, nowMs, leaseMs, _policy, _guard);
            if (!leased.isOk()) return leased.status();
            const Leased& l = leased.value();
            if (l.attempt.skipped) continue; // taken or finished by another instance
            if (l.attempt.cancelled) {
                if (_onCancel) _onCancel(candidate, l.attempt);
                continue;
            }
            const OutboxMessage& m = l.message;
            SendResult r = l.attempt.result;
            if (r.error.empty()) {
                // (b) the send, outside any transaction.
                r = _sender.send(m);
                // (c) the outcome, recorded only while the lease is ours.
                auto recorded = _store.recordOutcome(m, _owner, nowMs, _policy, r);
                if (!recorded.isOk()) return recorded.status();
                if (!recorded.value()) continue; // our lease expired and another instance took the message
            } // else the gate could not be checked: nothing sent, recorded as a failed attempt by (a)
            const int attempts = m.attempts + 1;
            const bool dead = !r.delivered && (r.permanent || attempts >= _policy.maxAttempts);
            if (r.delivered) ++delivered;
            if (_observer) _observer(m, r, dead);
        }
        return delivered;
    }
    auto claimed = _store.claimDue(nowMs, batch, leaseMs);
    if (!claimed.isOk()) return claimed.status();
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
