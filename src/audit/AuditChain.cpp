#include "audit/AuditChain.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace passerelle::audit {

const char* const kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

// Length-prefixed fields: no separator inside a value can make two entries hash alike.
void field(Poco::SHA2Engine& sha, const std::string& v) {
    sha.update(std::to_string(v.size()));
    sha.update(':');
    sha.update(v);
    sha.update(';');
}

} // namespace

std::string computeHash(const AuditEntry& e) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    field(sha, "passerelle-audit-v1");
    field(sha, std::to_string(e.seq));
    field(sha, e.at);
    field(sha, e.event);
    field(sha, e.actor);
    field(sha, e.subject);
    field(sha, e.details);
    field(sha, e.prevHash);
    return Poco::DigestEngine::digestToHex(sha.digest());
}

void chain(const std::optional<AuditEntry>& last, AuditEntry& next) {
    next.seq = last ? last->seq + 1 : 1;
    next.prevHash = last ? last->hash : kGenesis;
    next.hash = computeHash(next);
}

VerifyResult verify(const std::vector<AuditEntry>& entries) {
    VerifyResult r;
    std::string prev = kGenesis;
    std::int64_t expected = 1;
    for (const auto& e : entries) {
        ++r.entries;
        auto fail = [&](const char* problem, std::string message) {
            r.ok = false;
            r.firstBadSeq = e.seq;
            r.problem = problem;
            r.message = std::move(message);
            return r;
        };
        if (e.seq != expected) {
            if (e.seq > expected) {
                bool later = false;
                for (const auto& other : entries) later = later || other.seq == expected;
                r.firstBadSeq = expected;
                r.ok = false;
                r.problem = later ? "reordered" : "removed";
                r.message = later ? "Entrée n° " + std::to_string(expected) + " hors de sa place (ordre modifié)."
                                  : "Entrée n° " + std::to_string(expected) + " absente du journal (supprimée).";
                return r;
            }
            return fail("reordered", "Entrée n° " + std::to_string(e.seq) + " hors de sa place (ordre modifié).");
        }
        if (e.prevHash != prev)
            return fail("broken_link", "Entrée n° " + std::to_string(e.seq) + " : le lien vers l'entrée précédente ne correspond pas.");
        if (computeHash(e) != e.hash)
            return fail("altered", "Entrée n° " + std::to_string(e.seq) + " modifiée après son inscription.");
        prev = e.hash;
        ++expected;
    }
    return r;
}

} // namespace passerelle::audit
