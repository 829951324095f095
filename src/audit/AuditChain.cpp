#include "audit/AuditChain.h"

#include <sstream>

#include <Poco/DigestEngine.h>
#include <Poco/NumberParser.h>
#include <Poco/SHA2Engine.h>

namespace passerelle::audit {

const char* const kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

constexpr std::size_t kBlockBytes = 64; // SHA-256 block size (RFC 2104's B)

std::string sha256Raw(const std::string& data) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(data);
    const auto& d = sha.digest();
    return std::string(d.begin(), d.end());
}

// Length-prefixed fields: no separator inside a value can make two entries hash alike.
void field(std::string& out, const std::string& v) {
    out += std::to_string(v.size());
    out += ':';
    out += v;
    out += ';';
}

std::string entryMessage(const AuditEntry& e, const char* format) {
    std::string m;
    field(m, format);
    field(m, std::to_string(e.seq));
    field(m, e.at);
    field(m, e.event);
    field(m, e.actor);
    field(m, e.subject);
    field(m, e.details);
    field(m, e.prevHash);
    return m;
}

std::string checkpointMessage(const Checkpoint& c) {
    std::string m;
    field(m, "passerelle-audit-checkpoint-v1");
    field(m, std::to_string(c.count));
    field(m, c.headHash);
    field(m, c.at);
    field(m, c.keyId);
    field(m, c.database);
    return m;
}

bool isHex(const std::string& s, std::size_t n) {
    if (s.size() != n) return false;
    for (char ch : s)
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
    return true;
}

} // namespace

std::string hmacSha256Hex(const std::string& key, const std::string& message) {
    std::string k = key.size() > kBlockBytes ? sha256Raw(key) : key;
    k.resize(kBlockBytes, '\0');
    std::string ipad(kBlockBytes, '\0'), opad(kBlockBytes, '\0');
    for (std::size_t i = 0; i < kBlockBytes; ++i) {
        ipad[i] = static_cast<char>(k[i] ^ 0x36);
        opad[i] = static_cast<char>(k[i] ^ 0x5c);
    }
    std::string inner = sha256Raw(ipad + message);
    Poco::SHA2Engine outer(Poco::SHA2Engine::SHA_256);
    outer.update(opad + inner);
    return Poco::DigestEngine::digestToHex(outer.digest());
}

std::string AuditKeyring::idOf(const std::string& key) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update("passerelle-audit-key-id");
    sha.update(key);
    return Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 12);
}

bool AuditKeyring::add(const std::string& key) {
    if (key.size() < 16) return false;
    std::string id = idOf(key);
    _keys[id] = key;
    _currentId = id;
    return true;
}

const std::string* AuditKeyring::find(const std::string& keyId) const {
    auto it = _keys.find(keyId);
    return it == _keys.end() ? nullptr : &it->second;
}

std::string computeHash(const AuditEntry& e) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(entryMessage(e, "passerelle-audit-v1"));
    return Poco::DigestEngine::digestToHex(sha.digest());
}

std::optional<std::string> computeHash(const AuditEntry& e, const AuditKeyring& keys) {
    if (e.keyId.empty()) return computeHash(e);
    const std::string* key = keys.find(e.keyId);
    if (!key) return std::nullopt;
    return hmacSha256Hex(*key, entryMessage(e, "passerelle-audit-v2"));
}

void chain(const std::optional<AuditEntry>& last, AuditEntry& next, const AuditKeyring& keys) {
    next.seq = last ? last->seq + 1 : 1;
    next.prevHash = last ? last->hash : kGenesis;
    next.keyId = keys.currentId();
    next.hash = *computeHash(next, keys); // the current key is always in the ring
}

void chain(const std::optional<AuditEntry>& last, AuditEntry& next) { chain(last, next, AuditKeyring{}); }

std::string formatCheckpoint(const Checkpoint& c) {
    return "v1 count=" + std::to_string(c.count) + " head=" + c.headHash + " at=" + c.at + " key=" + c.keyId +
           " db=" + c.database + " mac=" + c.mac;
}

std::optional<Checkpoint> parseCheckpoint(const std::string& line) {
    std::istringstream in(line);
    std::string version;
    in >> version;
    if (version != "v1") return std::nullopt;
    std::map<std::string, std::string> kv;
    std::string token;
    while (in >> token) {
        auto eq = token.find('=');
        if (eq == std::string::npos) return std::nullopt;
        kv[token.substr(0, eq)] = token.substr(eq + 1);
    }
    Checkpoint c;
    Poco::Int64 count = 0;
    if (!Poco::NumberParser::tryParse64(kv["count"], count) || count < 0) return std::nullopt;
    c.count = count;
    c.headHash = kv["head"];
    c.at = kv["at"];
    c.keyId = kv["key"];
    c.mac = kv["mac"];
    c.database = kv["db"];
    if (!isHex(c.headHash, 64) || !isHex(c.mac, 64) || c.keyId.empty() || c.at.empty()) return std::nullopt;
    return c;
}

bool checkpointAuthentic(const Checkpoint& c, const AuditKeyring& keys) {
    const std::string* key = keys.find(c.keyId);
    return key && hmacSha256Hex(*key, checkpointMessage(c)) == c.mac;
}

std::string databaseTag(const std::string& description) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update("passerelle-audit-database");
    sha.update(description);
    return Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 12);
}

Checkpoint makeCheckpoint(std::int64_t count, const std::string& headHash, const std::string& at,
                          const AuditKeyring& keys, const std::string& database) {
    Checkpoint c;
    c.count = count;
    c.headHash = count == 0 ? kGenesis : headHash;
    c.at = at;
    c.keyId = keys.currentId();
    c.database = database;
    c.mac = hmacSha256Hex(*keys.find(c.keyId), checkpointMessage(c));
    return c;
}

VerifyResult verify(const std::vector<AuditEntry>& entries, const AuditKeyring& keys,
                    const std::vector<Checkpoint>& checkpoints) {
    VerifyResult r;
    auto fail = [&](std::int64_t seq, const char* problem, std::string message) {
        r.ok = false;
        r.firstBadSeq = seq;
        r.problem = problem;
        r.message = std::move(message);
        return r;
    };
    std::string prev = kGenesis;
    std::int64_t expected = 1;
    bool sawKeyed = false;
    for (const auto& e : entries) {
        ++r.entries;
        const std::string n = std::to_string(e.seq);
        if (e.seq != expected) {
            if (e.seq > expected) {
                bool later = false;
                for (const auto& other : entries) later = later || other.seq == expected;
                const std::string x = std::to_string(expected);
                return later ? fail(expected, "reordered", "Entrée n° " + x + " hors de sa place (ordre modifié).")
                             : fail(expected, "removed", "Entrée n° " + x + " absente du journal (supprimée).");
            }
            return fail(e.seq, "reordered", "Entrée n° " + n + " hors de sa place (ordre modifié).");
        }
        if (e.prevHash != prev)
            return fail(e.seq, "broken_link", "Entrée n° " + n + " : le lien vers l'entrée précédente ne correspond pas.");
        if (e.keyId.empty() && sawKeyed)
            return fail(e.seq, "unkeyed_after_keyed",
                        "Entrée n° " + n + " sans clé après des entrées signées : inscrite hors de Passerelle.");
        auto h = computeHash(e, keys);
        if (!h)
            return fail(e.seq, "unknown_key",
                        "Entrée n° " + n + " signée par une clé inconnue (" + e.keyId +
                            ") : configurez la clé d'audit de l'instance qui l'a écrite.");
        if (*h != e.hash) return fail(e.seq, "altered", "Entrée n° " + n + " modifiée après son inscription.");
        if (!e.keyId.empty()) {
            sawKeyed = true;
            ++r.keyed;
        }
        prev = e.hash;
        ++expected;
    }
    const std::int64_t count = expected - 1;
    for (const auto& c : checkpoints) {
        ++r.checkpoints;
        if (!checkpointAuthentic(c, keys))
            return fail(c.count, "checkpoint_forged",
                        "Point de contrôle du " + c.at + " (" + std::to_string(c.count) +
                            " entrées) dont la signature ne correspond à aucune clé d'audit.");
        if (c.count > count)
            return fail(count + 1, "truncated",
                        "Journal tronqué : le point de contrôle du " + c.at + " comptait " + std::to_string(c.count) +
                            " entrées, il en reste " + std::to_string(count) + ".");
        const std::string& at = c.count == 0 ? std::string(kGenesis) : entries[static_cast<std::size_t>(c.count - 1)].hash;
        if (at != c.headHash)
            return fail(c.count, "rewritten",
                        "Journal réécrit : l'entrée n° " + std::to_string(c.count) +
                            " ne correspond plus au point de contrôle du " + c.at + ".");
    }
    return r;
}

VerifyResult verify(const std::vector<AuditEntry>& entries) { return verify(entries, AuditKeyring{}, {}); }

} // namespace passerelle::audit
