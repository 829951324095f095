#include "http/Idempotency.h"

#include <atomic>
#include <ctime>

#include <Poco/Logger.h>

#include "storage/ApiKeys.h"

namespace passerelle::http {

namespace {

std::int64_t nowSeconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

bool validKey(const std::string& key) {
    if (key.empty() || key.size() > 255) return false;
    for (unsigned char c : key)
        if (c < 0x21 || c > 0x7E) return false;
    return true;
}

Reply replay(const storage::IdempotencyRecord& rec, const std::string& requestHash) {
    if (rec.requestHash != requestHash) {
        Reply r = Reply::error(Status::failedPrecondition(
            "idempotency_key_reused", "La clé d'idempotence « " + rec.key +
                                          " » a déjà servi pour une autre requête (adresse ou corps différents) : "
                                          "utilisez une nouvelle clé pour une nouvelle requête."));
        return r;
    }
    if (rec.status == 0) {
        // Committed, but the process stopped before it could store the answer.
        Reply r = Reply::error(Status::failedPrecondition(
            "idempotency_incomplete", "La requête portant la clé « " + rec.key + " » a bien été enregistrée (" +
                                          rec.resourceKind + " " + rec.resourceId +
                                          "), mais sa réponse n'a pas pu être conservée : consultez cette ressource "
                                          "plutôt que de renvoyer la requête."));
        r.headers["Idempotent-Replayed"] = "true";
        return r;
    }
    Reply r;
    r.status = rec.status;
    r.body = rec.response;
    if (!rec.location.empty()) r.headers["Location"] = rec.location;
    r.headers["Idempotent-Replayed"] = "true";
    return r;
}

std::atomic<std::int64_t> lastPurge{0};

void purgeNowAndThen(storage::Store& store, std::int64_t now) {
    std::int64_t last = lastPurge.load();
    if (now - last < 600 || !lastPurge.compare_exchange_strong(last, now)) return;
    auto n = store.purgeIdempotencyRecords(now);
    if (!n.isOk()) Poco::Logger::get("passerelle.http").warning("purge des clés d'idempotence : " + n.status().message());
}

} // namespace

Handler idempotent(std::shared_ptr<storage::Store> store, Handler handler) {
    return [store = std::move(store), handler = std::move(handler)](const Request& r) -> Reply {
        auto it = r.headers.find("idempotency-key");
        if (it == r.headers.end() || r.caller.organisationId.empty()) return handler(r);
        const std::string& key = it->second;
        if (!validKey(key))
            return Reply::error(Status::invalidArgument(
                "bad_idempotency_key", "En-tête Idempotency-Key invalide : de 1 à 255 caractères ASCII visibles attendus "
                                       "(par exemple un UUID)."));
        const std::string hash = storage::sha256Hex(r.method + "\n" + r.path + "\n" + r.body);
        const std::int64_t now = nowSeconds();
        purgeNowAndThen(*store, now);
        auto found = store->findIdempotencyRecord(r.caller.organisationId, key, now);
        if (!found.isOk()) return Reply::error(found.status());
        if (found.value()) return replay(*found.value(), hash);

        storage::IdempotencyClaim claim;
        claim.organisationId = r.caller.organisationId;
        claim.key = key;
        claim.requestHash = hash;
        claim.nowSeconds = now;
        Reply reply;
        {
            storage::IdempotencyScope scope(&claim);
            reply = handler(r);
        }
        if (claim.conflict && !claim.claimed) {
            // Another request with this key committed first: its answer, not ours.
            auto other = store->findIdempotencyRecord(r.caller.organisationId, key, now);
            if (other.isOk() && other.value()) return replay(*other.value(), hash);
        }
        if (claim.claimed) {
            auto loc = reply.headers.find("Location");
            Status st = store->completeIdempotencyRecord(r.caller.organisationId, key, reply.status, reply.body,
                                                         loc == reply.headers.end() ? "" : loc->second);
            if (!st.isOk())
                Poco::Logger::get("passerelle.http").warning("réponse de la clé d'idempotence non conservée : " + st.message());
        }
        return reply;
    };
}

} // namespace passerelle::http
