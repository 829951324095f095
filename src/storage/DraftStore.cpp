// Drafts (migration 5): PocoDraftStore's SQL, kept apart from PocoStore.cpp.
// SQL uses "$n" placeholders, rewritten to SQLite's "?n" (bound by number).
#include "storage/DraftStore.h"

#include <deque>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/Tuple.h>

#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

using sql::Sql;
using sql::nowIso;


// Poco::Tuple holds 20 columns at most: the draft is read in two parts.
using DraftRowA = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                              Int64, std::string>;
using DraftRowB = Poco::Tuple<std::string, std::string, Int64, std::string, std::string, std::string, Int64>;
const char* COLUMNS_A = "id, owner_id, COALESCE(dossier_id, ''), COALESCE(action_id, ''), form, variant,"
                        " COALESCE(document_id, ''), base_revision, values_json";
const char* COLUMNS_B = "created_by, updated_by, version, created_at, updated_at, finalised_document_id, finalised_revision";

Draft toDraft(const DraftRowA& a, const DraftRowB& b) {
    Draft d;
    d.id = a.get<0>();
    d.ownerOrganisationId = a.get<1>();
    d.dossierId = a.get<2>();
    d.actionId = a.get<3>();
    d.form = a.get<4>();
    d.variant = a.get<5>();
    d.documentId = a.get<6>();
    d.baseRevision = a.get<7>();
    d.valuesJson = a.get<8>();
    d.createdByUserId = b.get<0>();
    d.updatedByUserId = b.get<1>();
    d.version = b.get<2>();
    d.createdAt = b.get<3>();
    d.updatedAt = b.get<4>();
    d.finalisedDocumentId = b.get<5>();
    d.finalisedRevision = b.get<6>();
    return d;
}

Status notFound(const std::string& id) { return Status::notFound("draft_not_found", "Brouillon introuvable : " + id); }

// The drafts matching `where` (SQL after WHERE, with its values bound by `bind`).
template <typename Bind>
std::vector<Draft> select(Session& s, const std::string& where, const std::string& order, Bind&& bind) {
    std::vector<DraftRowA> as;
    std::vector<DraftRowB> bs;
    {
        Sql q(s);
        std::string w = bind(q);
        q.run(std::string("SELECT ") + COLUMNS_A + " FROM drafts WHERE " + w + where + order, into(as));
    }
    {
        Sql q(s);
        std::string w = bind(q);
        q.run(std::string("SELECT ") + COLUMNS_B + " FROM drafts WHERE " + w + where + order, into(bs));
    }
    std::vector<Draft> out;
    for (std::size_t i = 0; i < as.size() && i < bs.size(); ++i) out.push_back(toDraft(as[i], bs[i]));
    return out;
}

Result<Draft> findIn(Session& s, const std::string& id) {
    auto rows = select(s, "", "", [&](Sql& q) { return "id = " + q.str(id); });
    if (rows.empty()) return notFound(id);
    return rows.front();
}

} // namespace

Result<Draft> PocoDraftStore::createDraft(const Draft& draft) {
    Draft d = draft;
    d.id = newId("brl_");
    d.version = 1;
    d.createdAt = d.updatedAt = nowIso();
    d.updatedByUserId = d.createdByUserId;
    d.finalisedDocumentId.clear();
    d.finalisedRevision = 0;
    Status st = _store->writeTransaction("createDraft", [&](Session& s) {
        Sql q(s);
        std::string sql = "INSERT INTO drafts (id, owner_id, dossier_id, action_id, form, variant, document_id, base_revision,"
                          " values_json, created_by, updated_by, version, created_at, updated_at, finalised_document_id,"
                          " finalised_revision) VALUES (";
        sql += q.str(d.id) + ", " + q.str(d.ownerOrganisationId);
        sql += ", NULLIF(" + q.str(d.dossierId) + ", ''), NULLIF(" + q.str(d.actionId) + ", '')";
        sql += ", " + q.str(d.form) + ", " + q.str(d.variant);
        sql += ", NULLIF(" + q.str(d.documentId) + ", ''), " + q.num(d.baseRevision);
        sql += ", " + q.str(d.valuesJson) + ", " + q.str(d.createdByUserId) + ", " + q.str(d.updatedByUserId);
        sql += ", " + q.num(d.version) + ", " + q.str(d.createdAt) + ", " + q.str(d.updatedAt) + ", '', 0)";
        q.run(sql);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return d;
}

Result<Draft> PocoDraftStore::findDraft(const std::string& id) {
    Result<Draft> out = notFound(id);
    Status st = _store->readSession("findDraft", [&](Session& s) {
        out = findIn(s, id);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<Draft> PocoDraftStore::saveDraft(const std::string& id, const std::string& variant, const std::string& valuesJson,
                                        const std::string& userId) {
    Result<Draft> out = notFound(id);
    Status st = _store->writeTransaction("saveDraft", [&](Session& s) {
        auto current = findIn(s, id);
        if (!current.isOk()) return current.status();
        if (!current.value().open())
            return Status::failedPrecondition("draft_finalised", "Ce brouillon a déjà été finalisé : il ne se modifie plus.");
        Sql q(s);
        std::string sql = "UPDATE drafts SET variant = " + q.str(variant);
        sql += ", values_json = " + q.str(valuesJson);
        sql += ", updated_by = " + q.str(userId);
        sql += ", version = version + 1, updated_at = " + q.str(nowIso());
        sql += " WHERE id = " + q.str(id) + " AND finalised_document_id = ''";
        q.run(sql);
        out = findIn(s, id);
        return out.status();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<std::vector<Draft>> PocoDraftStore::listOpenDrafts(const std::string& dossierId, const std::string& actionId) {
    std::vector<Draft> out;
    Status st = _store->readSession("listOpenDrafts", [&](Session& s) {
        out = select(s, " AND finalised_document_id = ''", " ORDER BY updated_at DESC, id DESC", [&](Sql& q) {
            return dossierId.empty() ? "action_id = " + q.str(actionId) : "dossier_id = " + q.str(dossierId);
        });
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<Draft> PocoDraftStore::markFinalised(const std::string& id, const std::string& documentId, std::int64_t revision) {
    Result<Draft> out = notFound(id);
    Status st = _store->writeTransaction("markDraftFinalised", [&](Session& s) {
        std::size_t n;
        {
            Sql q(s);
            std::string sql = "UPDATE drafts SET finalised_document_id = " + q.str(documentId);
            sql += ", finalised_revision = " + q.num(revision);
            sql += ", updated_at = " + q.str(nowIso());
            sql += " WHERE id = " + q.str(id) + " AND finalised_document_id = ''";
            n = q.run(sql);
        }
        out = findIn(s, id);
        if (!out.isOk()) return out.status();
        if (n == 0) return Status::failedPrecondition("draft_finalised", "Ce brouillon a déjà été finalisé.");
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

} // namespace passerelle::storage
