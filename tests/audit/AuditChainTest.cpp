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

// ---------------------------------------------------------------------------
// Keyed chain and checkpoints (issue 11, item 9): a forger who can rewrite the
// database but not read the key is caught, and so is a cut tail.

namespace {

const std::string KEY = "cle-de-test-0123456789abcdef";

AuditKeyring ring(const std::vector<std::string>& keys = {KEY}) {
    AuditKeyring r;
    for (const auto& k : keys) EXPECT_TRUE(r.add(k));
    return r;
}

std::vector<AuditEntry> makeKeyedChain(int n, const AuditKeyring& keys, std::vector<AuditEntry> out = {}) {
    std::optional<AuditEntry> last;
    if (!out.empty()) last = out.back();
    for (int i = 0; i < n; ++i) {
        AuditEntry e;
        e.at = "2026-11-23T11:00:0" + std::to_string(i % 10) + ".000Z";
        e.event = "consent.given";
        e.actor = "org_a";
        e.subject = "cns_" + std::to_string(out.size());
        e.details = "{}";
        chain(last, e, keys);
        out.push_back(e);
        last = e;
    }
    return out;
}

// Rewrites entry `from` (0-based) and recomputes every later hash as a forger would, with `forgerKeys`.
void forge(std::vector<AuditEntry>& entries, std::size_t from, const AuditKeyring& forgerKeys) {
    entries[from].details = "{\"forged\":true}";
    for (std::size_t i = from; i < entries.size(); ++i) {
        entries[i].prevHash = i == 0 ? kGenesis : entries[i - 1].hash;
        entries[i].keyId = forgerKeys.currentId();
        entries[i].hash = *computeHash(entries[i], forgerKeys);
    }
}

} // namespace

TEST(AuditKeyedChain, HmacMatchesRfc4231TestCase2) {
    // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than the block is hashed first.
    EXPECT_EQ(hmacSha256Hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(AuditKeyedChain, IntactKeyedChainVerifiesAndNeedsItsKey) {
    auto keys = ring();
    auto entries = makeKeyedChain(12, keys);
    EXPECT_EQ(entries[0].keyId, keys.currentId());
    EXPECT_NE(entries[0].hash, computeHash(entries[0])); // not the unkeyed hash
    auto r = verify(entries, keys);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.keyed, 12);
    auto noKey = verify(entries);
    EXPECT_FALSE(noKey.ok);
    EXPECT_EQ(noKey.problem, "unknown_key");
    EXPECT_EQ(noKey.firstBadSeq, 1);
}

TEST(AuditKeyedChain, EditAndRecomputeWithoutTheKeyIsDetected) {
    auto keys = ring();
    // The forger recomputes with a key of its own: the entries name a key the ring does not know.
    auto a = makeKeyedChain(10, keys);
    forge(a, 4, ring({"cle-du-faussaire-0000000000"}));
    auto ra = verify(a, keys);
    EXPECT_FALSE(ra.ok);
    EXPECT_EQ(ra.firstBadSeq, 5);
    EXPECT_EQ(ra.problem, "unknown_key");
    // The forger keeps our key id but cannot compute our HMAC.
    auto b = makeKeyedChain(10, keys);
    b[4].details = "{\"forged\":true}";
    for (std::size_t i = 4; i < b.size(); ++i) {
        b[i].prevHash = b[i - 1].hash;
        b[i].hash = hmacSha256Hex("cle-devinee-0000000000", b[i].details);
    }
    auto rb = verify(b, keys);
    EXPECT_FALSE(rb.ok);
    EXPECT_EQ(rb.firstBadSeq, 5);
    EXPECT_EQ(rb.problem, "altered");
    // The forger falls back to unkeyed (v1) hashes after keyed entries.
    auto c = makeKeyedChain(10, keys);
    forge(c, 6, AuditKeyring{});
    auto rc = verify(c, keys);
    EXPECT_FALSE(rc.ok);
    EXPECT_EQ(rc.firstBadSeq, 7);
    EXPECT_EQ(rc.problem, "unkeyed_after_keyed");
}

TEST(AuditKeyedChain, RotationKeepsOldEntriesVerifiable) {
    auto oldKeys = ring({"ancienne-cle-0123456789"});
    auto entries = makeKeyedChain(5, oldKeys);
    auto both = ring({"ancienne-cle-0123456789", KEY});
    entries = makeKeyedChain(5, both, entries);
    EXPECT_EQ(entries[0].keyId, oldKeys.currentId());
    EXPECT_EQ(entries[9].keyId, both.currentId());
    EXPECT_TRUE(verify(entries, both).ok);
    EXPECT_EQ(verify(entries, ring()).problem, "unknown_key"); // the old key was dropped from the ring
}

TEST(AuditKeyedChain, UnkeyedEntriesBeforeKeysStillVerify) {
    auto legacy = makeChain(4);
    auto keys = ring();
    auto entries = makeKeyedChain(3, keys, legacy);
    auto r = verify(entries, keys);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.entries, 7);
    EXPECT_EQ(r.keyed, 3);
}

TEST(AuditCheckpoints, FormatParseRoundTripAndRejectGarbage) {
    auto keys = ring();
    Checkpoint c = makeCheckpoint(42, std::string(64, 'a'), "2026-12-01T10:00:00.000Z", keys);
    auto line = formatCheckpoint(c);
    auto back = parseCheckpoint(line);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->count, 42);
    EXPECT_EQ(back->headHash, std::string(64, 'a'));
    EXPECT_EQ(back->mac, c.mac);
    EXPECT_FALSE(parseCheckpoint(""));
    EXPECT_FALSE(parseCheckpoint("v1 count=-1 head=" + std::string(64, 'a') + " at=x key=k mac=" + std::string(64, 'b')));
    EXPECT_FALSE(parseCheckpoint("v2 count=1"));
    EXPECT_FALSE(parseCheckpoint(line.substr(0, line.size() - 3)));
}

TEST(AuditCheckpoints, CutTailAndEmptiedJournalAreDetected) {
    auto keys = ring();
    auto entries = makeKeyedChain(10, keys);
    std::vector<Checkpoint> cps{makeCheckpoint(6, entries[5].hash, "2026-12-01T10:00:00.000Z", keys),
                                makeCheckpoint(10, entries[9].hash, "2026-12-01T11:00:00.000Z", keys)};
    EXPECT_TRUE(verify(entries, keys, cps).ok);
    EXPECT_EQ(verify(entries, keys, cps).checkpoints, 2);

    auto cut = entries;
    cut.resize(8); // the last two entries deleted: a valid chain on its own
    EXPECT_TRUE(verify(cut, keys).ok);
    auto r = verify(cut, keys, cps);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.problem, "truncated");
    EXPECT_EQ(r.firstBadSeq, 9);
    EXPECT_NE(r.message.find("il en reste 8"), std::string::npos) << r.message;

    auto emptied = verify({}, keys, cps);
    EXPECT_FALSE(emptied.ok);
    EXPECT_EQ(emptied.problem, "truncated");
}

TEST(AuditCheckpoints, ChainRewrittenFromTheStartIsDetected) {
    auto keys = ring();
    auto entries = makeKeyedChain(10, keys);
    std::vector<Checkpoint> cps{makeCheckpoint(10, entries[9].hash, "2026-12-01T11:00:00.000Z", keys)};
    // The forger rewrites the whole chain unkeyed (v1): consistent in itself, but not what was checkpointed.
    forge(entries, 0, AuditKeyring{});
    EXPECT_TRUE(verify(entries, keys).ok);
    auto r = verify(entries, keys, cps);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.problem, "rewritten");
    EXPECT_EQ(r.firstBadSeq, 10);
}

TEST(AuditCheckpoints, ForgedCheckpointIsDetected) {
    auto keys = ring();
    auto entries = makeKeyedChain(5, keys);
    Checkpoint c = makeCheckpoint(5, entries[4].hash, "2026-12-01T11:00:00.000Z", keys);
    c.count = 3; // moved back to hide a cut tail
    c.headHash = entries[2].hash;
    auto r = verify(entries, keys, {c});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.problem, "checkpoint_forged");
}
