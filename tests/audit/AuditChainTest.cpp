// The audit chain detects the first altered, removed or reordered entry.
#include <gtest/gtest.h>

#include "audit/AuditChain.h"

using namespace passerelle::audit;

namespace {

std::vector<AuditEntry> makeChain(int n) {
    std::vector<AuditEntry> out;
    std::optional<AuditEntry> last;
    for (int i = 0; i < n; ++i) {
        AuditEntry e;
        e.at = "2026-11-23T10:00:0" + std::to_string(i % 10) + ".000Z";
        e.event = i % 2 ? "transmission.sent" : "consent.given";
        e.actor = "org_a";
        e.subject = "doc_" + std::to_string(i);
        e.details = "{\"sha256\":\"ab\"}";
        chain(last, e);
        out.push_back(e);
        last = e;
    }
    return out;
}

} // namespace

TEST(AuditChain, IntactChainVerifies) {
    auto entries = makeChain(20);
    EXPECT_EQ(entries.front().prevHash, kGenesis);
    EXPECT_EQ(entries[1].prevHash, entries[0].hash);
    auto r = verify(entries);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.entries, 20);
    EXPECT_TRUE(verify({}).ok);
}

TEST(AuditChain, AlteredFieldIsDetectedAtThatEntry) {
    for (int field = 0; field < 5; ++field) {
        auto entries = makeChain(10);
        AuditEntry& e = entries[6];
        if (field == 0) e.event = "transmission.refused";
        if (field == 1) e.actor = "org_b";
        if (field == 2) e.subject = "doc_99";
        if (field == 3) e.details = "{}";
        if (field == 4) e.at = "2026-01-01T00:00:00.000Z";
        auto r = verify(entries);
        EXPECT_FALSE(r.ok) << field;
        EXPECT_EQ(r.firstBadSeq, 7) << field;
        EXPECT_EQ(r.problem, "altered") << field;
    }
}

TEST(AuditChain, RecomputedHashStillBreaksTheNextLink) {
    auto entries = makeChain(10);
    entries[3].subject = "doc_x";
    entries[3].hash = computeHash(entries[3]); // a forger recomputes this entry's hash
    auto r = verify(entries);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.firstBadSeq, 5);
    EXPECT_EQ(r.problem, "broken_link");
}

TEST(AuditChain, RemovedEntryIsDetected) {
    auto entries = makeChain(10);
    entries.erase(entries.begin() + 4);
    auto r = verify(entries);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.firstBadSeq, 5);
    EXPECT_EQ(r.problem, "removed");
    auto tail = makeChain(10);
    tail.erase(tail.begin());
    EXPECT_EQ(verify(tail).problem, "removed");
}

TEST(AuditChain, RenumberedRemovalBreaksTheLink) {
    auto entries = makeChain(10);
    entries.erase(entries.begin() + 4);
    for (std::size_t i = 4; i < entries.size(); ++i) entries[i].seq -= 1; // renumber to hide the gap
    auto r = verify(entries);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.firstBadSeq, 5);
}

TEST(AuditChain, ReorderedEntriesAreDetected) {
    auto entries = makeChain(10);
    std::swap(entries[2], entries[3]);
    auto r = verify(entries);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.firstBadSeq, 3);
    EXPECT_EQ(r.problem, "reordered"); // seq 3 expected, found after 4
    std::swap(entries[2].seq, entries[3].seq); // swapped contents under the original numbers
    auto r2 = verify(entries);
    EXPECT_FALSE(r2.ok);
    EXPECT_EQ(r2.firstBadSeq, 3);
}
