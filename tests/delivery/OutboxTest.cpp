// Outbox worker against a real HTTP receiver that dedupes on the idempotency key.
#include <gtest/gtest.h>

#include <map>

#include "delivery/Outbox.h"
#include "support/WebhookReceiver.h"

using namespace passerelle;
using namespace passerelle::delivery;
using passerelle::testing::WebhookReceiver; // dedupes on the idempotency key, can fail on demand

namespace {

// In-memory outbox with the same semantics as the database one (leases, attempts, dead letters).
struct MemoryOutbox : OutboxStore {
    struct Row { OutboxMessage m; std::int64_t leaseUntil = 0; bool delivered = false; bool dead = false; std::string lastError; };
    std::map<std::string, Row> rows;
    bool crashBeforeMarking = false; // simulate a process that dies after sending, before recording

    Result<std::vector<OutboxMessage>> claimDue(std::int64_t now, int max, std::int64_t leaseMs) override {
        std::vector<OutboxMessage> out;
        for (auto& [id, r] : rows) {
            if (static_cast<int>(out.size()) >= max) break;
            if (r.delivered || r.dead || r.m.nextAttemptAt > now || r.leaseUntil > now) continue;
            r.leaseUntil = now + leaseMs;
            out.push_back(r.m);
        }
        return out;
    }
    Status markDelivered(const std::string& id, std::int64_t, int) override {
        if (crashBeforeMarking) return Status::internal("crash", "simulated crash");
        rows[id].delivered = true;
        return Status::ok();
    }
    Status markFailed(const std::string& id, int attempts, std::int64_t next, bool dead, const std::string& error) override {
        auto& r = rows[id];
        r.m.attempts = attempts;
        r.m.nextAttemptAt = next;
        r.dead = dead;
        r.leaseUntil = 0;
        r.lastError = error;
        return Status::ok();
    }
};

OutboxMessage message(const std::string& id, const std::string& url) {
    OutboxMessage m;
    m.id = id;
    m.url = url;
    m.recipientOrgId = "org_bailleur";
    m.transmissionId = "trn_" + id;
    m.body = "{\"transmission\":\"trn_" + id + "\"}";
    return m;
}

} // namespace

TEST(RetryPolicy, ExponentialBackoffWithACap) {
    RetryPolicy p{1000, 60000, 5};
    EXPECT_EQ(p.delayAfter(1), 1000);
    EXPECT_EQ(p.delayAfter(2), 2000);
    EXPECT_EQ(p.delayAfter(4), 8000);
    EXPECT_EQ(p.delayAfter(10), 60000);
    EXPECT_EQ(p.delayAfter(100), 60000);
}

TEST(Outbox, DeliversWithTheIdempotencyKeyAndRetriesAfterFailures) {
    WebhookReceiver rx;
    rx.failNext(2);
    MemoryOutbox box;
    box.rows["msg_1"].m = message("msg_1", rx.url());
    HttpSender sender(5);
    int attemptsSeen = 0;
    OutboxWorker worker(box, sender, RetryPolicy{1000, 60000, 5}, [&](const OutboxMessage&, const SendResult&, bool) { ++attemptsSeen; });
    std::int64_t now = 1000000;
    EXPECT_EQ(worker.runOnce(now).value(), 0);            // 503
    EXPECT_EQ(box.rows["msg_1"].m.nextAttemptAt, now + 1000);
    EXPECT_EQ(worker.runOnce(now + 500).value(), 0);      // not due yet: nothing sent
    EXPECT_EQ(rx.requests(), 1u);
    EXPECT_EQ(worker.runOnce(now + 1000).value(), 0);     // 503 again
    EXPECT_EQ(box.rows["msg_1"].m.nextAttemptAt, now + 1000 + 2000);
    EXPECT_EQ(worker.runOnce(now + 3000).value(), 1);     // delivered
    EXPECT_TRUE(box.rows["msg_1"].delivered);
    EXPECT_EQ(worker.runOnce(now + 100000).value(), 0);   // never sent again
    EXPECT_EQ(rx.requests(), 3u);
    EXPECT_EQ(attemptsSeen, 3);
    const auto accepted = rx.bodies();
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_EQ(accepted.begin()->first, "msg_1");
    EXPECT_EQ(accepted.begin()->second, "{\"transmission\":\"trn_msg_1\"}");
}

TEST(Outbox, CrashAfterSendingIsResentButReceivedOnce) {
    WebhookReceiver rx;
    MemoryOutbox box;
    box.rows["msg_2"].m = message("msg_2", rx.url());
    HttpSender sender(5);
    box.crashBeforeMarking = true;
    {
        OutboxWorker worker(box, sender);
        EXPECT_FALSE(worker.runOnce(1000).isOk()); // sent, then the process "dies" before recording it
    }
    box.crashBeforeMarking = false;
    OutboxWorker restarted(box, sender);
    EXPECT_EQ(restarted.runOnce(1000 + 30000).value(), 0) << "lease still held";
    EXPECT_EQ(restarted.runOnce(1000 + 60000).value(), 1) << "lease expired: sent again";
    EXPECT_EQ(rx.requests(), 2u);          // two deliveries on the wire...
    EXPECT_EQ(rx.bodies().size(), 1u);      // ...one on the receiver's side
}

TEST(Outbox, UnreachableReceiverEndsAsDeadLetter) {
    MemoryOutbox box;
    box.rows["msg_3"].m = message("msg_3", "http://127.0.0.1:1/none");
    HttpSender sender(1);
    int dead = 0;
    OutboxWorker worker(box, sender, RetryPolicy{10, 100, 3}, [&](const OutboxMessage&, const SendResult& r, bool d) {
        EXPECT_FALSE(r.delivered);
        dead += d;
    });
    std::int64_t now = 0;
    for (int i = 0; i < 5; ++i) {
        worker.runOnce(now);
        now += 1000;
    }
    EXPECT_TRUE(box.rows["msg_3"].dead);
    EXPECT_EQ(box.rows["msg_3"].m.attempts, 3);
    EXPECT_EQ(dead, 1);
    EXPECT_FALSE(box.rows["msg_3"].lastError.empty());
}
