// Two delivery workers (two store instances, as two service instances on one
// database) claiming the outbox at the same time never take the same message:
// PostgreSQL with FOR UPDATE SKIP LOCKED, SQLite with the write lock taken
// before reading. Runs on SQLite and, when PASSERELLE_TEST_PG is set, PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "storage/StoreBackends.h"

namespace passerelle::testing {
namespace {

class OutboxClaim : public ::testing::TestWithParam<std::string> {};

TEST_P(OutboxClaim, TwoWorkersClaimingConcurrentlyNeverTakeTheSameMessage) {
    TestDatabase db(GetParam());
    if (!db.available()) GTEST_SKIP() << db.skipReason();
    auto first = db.open();
    auto second = db.open();
    // Messages without their transmissions: this test is about the claim only.
    if (GetParam() != "sqlite") db.execute("ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_transmission_id_fkey");
    const int kMessages = 200;
    for (int i = 0; i < kMessages; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "msg_%04d", i);
        db.execute(std::string("INSERT INTO outbox (id, transmission_id, recipient_id, url, body, attempts, next_attempt_at,"
                               " lease_until, delivered_at, http_status, dead, last_error, created_at) VALUES ('") +
                   id + "', 'trn_x', 'org_b', 'http://127.0.0.1:9/', '{}', 0, 0, 0, NULL, 0, 0, '', '2026-12-01T00:00:00Z')");
    }
    const std::int64_t now = 1000, lease = 60 * 60 * 1000; // no lease expires during the test
    std::mutex m;
    std::map<std::string, int> claims; // message → how many times claimed
    std::atomic<int> errors{0};
    auto worker = [&](storage::PocoStore* store) {
        for (int round = 0; round < 400; ++round) {
            auto batch = store->claimDue(now, 3, lease);
            if (!batch.isOk()) { ++errors; continue; }
            if (batch.value().empty()) break;
            std::lock_guard<std::mutex> g(m);
            for (const auto& msg : batch.value()) ++claims[msg.id];
        }
    };
    std::thread a(worker, first.get()), b(worker, second.get());
    a.join();
    b.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(claims.size(), static_cast<std::size_t>(kMessages)) << "every message claimed";
    for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << id << " claimed " << n << " times";
    // Nothing is due any more: every message is leased.
    auto rest = first->claimDue(now, 10, lease);
    ASSERT_TRUE(rest.isOk());
    EXPECT_TRUE(rest.value().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxClaim, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

} // namespace
} // namespace passerelle::testing
