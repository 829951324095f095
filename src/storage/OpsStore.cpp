// Operational figures of the store for /metrics (read at scrape time): the
// session pool's use and a few counts. Identifiers never leave: only numbers.
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include "storage/PocoStore.h"

namespace passerelle::storage {

using Poco::Data::Session;
using namespace Poco::Data::Keywords;

PocoStore::PoolUse PocoStore::poolUse() const {
    PoolUse u;
    if (!_pool) return u;
    u.capacity = _pool->capacity();
    u.allocated = _pool->allocated();
    u.used = _pool->used();
    u.idle = _pool->idle();
    return u;
}

Result<PocoStore::OperationalCounts> PocoStore::operationalCounts(std::int64_t nowMs) {
    OperationalCounts c;
    Poco::Int64 now = nowMs;
    Status st = readSession("operationalCounts", [&](Session& s) {
        Poco::Int64 pending = 0, dead = 0, due = 0, sessions = 0;
        s << "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND dead = 0 AND cancelled_at IS NULL", into(pending), now;
        s << "SELECT COUNT(*) FROM outbox WHERE dead <> 0", into(dead), now;
        // `now` is our own integer: written into the text (placeholders differ between SQLite and PostgreSQL).
        const std::string t = std::to_string(now);
        s << "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND dead = 0 AND cancelled_at IS NULL AND next_attempt_at <= " + t, into(due), now;
        s << "SELECT COUNT(*) FROM web_sessions WHERE expires_at_ms > " + t, into(sessions), now;
        c.outboxPending = pending;
        c.outboxDead = dead;
        c.outboxDue = due;
        c.webSessions = sessions;
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return c;
}

} // namespace passerelle::storage
