// First readings of received copies (issue 12, migration 12): PocoStore's
// methods for table transmission_reads, kept apart from PocoStore.cpp. The
// first reading stays: the INSERT runs only when no row exists, inside one
// write transaction (SQLite: the process' write mutex; PostgreSQL: the
// primary key rejects a concurrent second insert, which is then ignored).
#include <deque>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

using sql::Sql;

} // namespace

Status PocoStore::markTransmissionRead(const std::string& transmissionId, const std::string& organisationId,
                                       const std::string& userId, std::int64_t atMs) {
    Status st = writeTransaction("markTransmissionRead", [&](Session& s) {
        Sql q(s);
        Int64 n = 0;
        q.run("SELECT COUNT(*) FROM transmission_reads WHERE transmission_id = " + q.str(transmissionId), into(n));
        if (n > 0) return Status::ok();
        Sql ins(s);
        ins.run("INSERT INTO transmission_reads (transmission_id, organisation_id, user_id, read_at_ms) VALUES (" +
                ins.str(transmissionId) + ", " + ins.str(organisationId) + ", " + ins.str(userId) + ", " +
                ins.num(atMs) + ")");
        return Status::ok();
    });
    // Two instances reading the same copy at the same instant: the second insert
    // hits the primary key; the first reading is recorded, which is all we want.
    if (!st.isOk()) {
        auto again = transmissionReads({transmissionId});
        if (again.isOk() && again.value().count(transmissionId)) return Status::ok();
    }
    return st;
}

Result<std::map<std::string, std::int64_t>> PocoStore::transmissionReads(const std::vector<std::string>& transmissionIds) {
    std::map<std::string, std::int64_t> out;
    if (transmissionIds.empty()) return out;
    Status st = readSession("transmissionReads", [&](Session& s) {
        // In chunks: a bounded number of placeholders per statement.
        const std::size_t chunk = 200;
        for (std::size_t start = 0; start < transmissionIds.size(); start += chunk) {
            Sql q(s);
            std::string in;
            for (std::size_t i = start; i < std::min(transmissionIds.size(), start + chunk); ++i)
                in += (in.empty() ? "" : ", ") + q.str(transmissionIds[i]);
            std::vector<std::string> ids;
            std::vector<Int64> at;
            q.run("SELECT transmission_id, read_at_ms FROM transmission_reads WHERE transmission_id IN (" + in + ")",
                  into(ids), into(at));
            for (std::size_t i = 0; i < ids.size(); ++i) out[ids[i]] = at[i];
        }
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

} // namespace passerelle::storage
