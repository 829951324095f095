// Received copies (issue 12): PocoStore's methods for their first readings
// (migration 12, table transmission_reads) and their inbox search (migration
// 17, table transmission_index), kept apart from PocoStore.cpp. The first
// reading stays: the INSERT runs only when no row exists, inside one write
// transaction (SQLite: the process' write mutex; PostgreSQL: the primary key
// rejects a concurrent second insert, which is then ignored).
#include <algorithm>
#include <deque>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "storage/DossierIndex.h"
#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

using sql::Sql;

// Every string (and number) value of a JSON value, one per line.
void collectText(const Poco::Dynamic::Var& v, std::string& out) {
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        auto o = v.extract<Poco::JSON::Object::Ptr>();
        if (!o) return;
        for (const auto& name : o->getNames()) collectText(o->get(name), out);
    } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto a = v.extract<Poco::JSON::Array::Ptr>();
        if (!a) return;
        for (unsigned i = 0; i < a->size(); ++i) collectText(a->get(i), out);
    } else if (v.isString() || v.isNumeric()) {
        out += v.toString();
        out += '\n';
    }
}

std::string dossierReferenceIn(Session& s, const std::string& dossierId) {
    Sql q(s);
    std::vector<std::string> refs;
    q.run("SELECT reference FROM dossiers WHERE id = " + q.str(dossierId), into(refs));
    return refs.empty() ? std::string() : refs.front();
}

} // namespace

std::string transmissionSearchText(const Transmission& t, const std::string& dossierReference) {
    std::string hay = t.id + "\n" + t.documentId + "\n" + dossierReference + "\n";
    try {
        collectText(Poco::JSON::Parser().parse(t.permittedJson), hay);
    } catch (const Poco::Exception&) {
        // Not JSON (never written so): found by its references only.
    }
    return foldForSearch(hay);
}

void indexTransmissionIn(Session& s, const Transmission& t) {
    const std::string text = transmissionSearchText(t, dossierReferenceIn(s, t.dossierId));
    Sql q(s);
    q.run("INSERT INTO transmission_index (transmission_id, recipient_id, search_text) VALUES (" + q.str(t.id) + ", " +
          q.str(t.recipientOrgId) + ", " + q.str(text) + ")");
}

void backfillTransmissionIndex(Session& s) {
    std::vector<std::string> ids, documents, dossiers, recipients, permitted;
    {
        Sql q(s);
        q.run("SELECT t.id, t.document_id, t.dossier_id, t.recipient_id, t.permitted_json FROM transmissions t"
              " WHERE t.allowed = 1 AND NOT EXISTS (SELECT 1 FROM transmission_index x WHERE x.transmission_id = t.id)",
              into(ids), into(documents), into(dossiers), into(recipients), into(permitted));
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
        Transmission t;
        t.id = ids[i];
        t.documentId = documents[i];
        t.dossierId = dossiers[i];
        t.recipientOrgId = recipients[i];
        t.permittedJson = permitted[i];
        indexTransmissionIn(s, t);
    }
}

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

Result<ReceivedPage> PocoStore::searchReceived(const ReceivedQuery& query) {
    ReceivedPage page;
    const std::vector<std::string> words = searchWords(query.text);
    const std::string base = " FROM transmissions t WHERE t.recipient_id = ";
    auto filtered = [&](Sql& q) {
        std::string w = " FROM transmissions t LEFT JOIN transmission_index x ON x.transmission_id = t.id"
                        " WHERE t.allowed = 1 AND t.recipient_id = " + q.str(query.recipientOrgId);
        if (!query.form.empty()) w += " AND t.form = " + q.str(query.form);
        if (!query.senderOrgId.empty()) w += " AND t.sender_id = " + q.str(query.senderOrgId);
        if (!query.fromDay.empty()) w += " AND SUBSTR(t.created_at, 1, 10) >= " + q.str(query.fromDay);
        if (!query.toDay.empty()) w += " AND SUBSTR(t.created_at, 1, 10) <= " + q.str(query.toDay);
        const std::string read = "EXISTS (SELECT 1 FROM transmission_reads r WHERE r.transmission_id = t.id)";
        if (query.state == "nouveau") w += " AND NOT " + read;
        if (query.state == "lu") w += " AND " + read;
        for (const auto& word : words) w += " AND x.search_text LIKE " + q.str(containsPattern(word)) + " ESCAPE '\\'";
        return w;
    };
    std::vector<std::string> ids;
    Status st = readSession("searchReceived", [&](Session& s) {
        {
            Sql q(s);
            Int64 total = 0;
            q.run("SELECT COUNT(*)" + filtered(q), into(total));
            page.total = total;
        }
        {
            Sql q(s);
            Int64 unread = 0;
            q.run("SELECT COUNT(*)" + base + q.str(query.recipientOrgId) +
                      " AND t.allowed = 1 AND NOT EXISTS (SELECT 1 FROM transmission_reads r WHERE r.transmission_id = t.id)",
                  into(unread));
            page.unread = unread;
        }
        {
            Sql q(s);
            q.run("SELECT DISTINCT t.sender_id" + base + q.str(query.recipientOrgId) + " AND t.allowed = 1",
                  into(page.senderOrgIds));
        }
        {
            Sql q(s);
            q.run("SELECT DISTINCT t.form" + base + q.str(query.recipientOrgId) + " AND t.allowed = 1", into(page.forms));
            std::sort(page.forms.begin(), page.forms.end());
        }
        Sql q(s);
        std::string sql = "SELECT t.id" + filtered(q) + " ORDER BY t.created_at DESC, t.id DESC";
        sql += " LIMIT " + q.num(std::clamp(query.limit, 1, 500));
        sql += " OFFSET " + q.num(std::max(0, query.offset));
        q.run(sql, into(ids));
        return Status::ok();
    });
    if (!st.isOk()) return st;
    for (const auto& id : ids) {
        auto t = findTransmission(id);
        if (!t.isOk()) return t.status();
        page.items.push_back(std::move(t.value()));
    }
    return page;
}

} // namespace passerelle::storage
