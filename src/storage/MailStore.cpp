// The e-mail aggregate (issue 12, migration 9): mail outbox, notification
// preferences, consent reminders. SQL uses "$n" placeholders, rewritten to
// SQLite's "?n" (they bind by number as PostgreSQL's do).
#include "storage/MailStore.h"

#include <algorithm>
#include <deque>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/Tuple.h>

#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

using sql::Sql;
using sql::nowIso;


const char* MAIL_COLUMNS =
    "id, dedupe_key, kind, reference, recipient_user_id, recipient_org_id, address, message, message_sha256, attempts,"
    " next_attempt_at, COALESCE(delivered_at, -1), smtp_status, dead, last_error, created_at";
using MailRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                            std::string, std::string, Int64, Int64, Int64, Int64, Int64, std::string, std::string>;
QueuedMail toMail(const MailRow& r) {
    QueuedMail m;
    m.id = r.get<0>();
    m.dedupeKey = r.get<1>();
    m.kind = r.get<2>();
    m.reference = r.get<3>();
    m.recipientUserId = r.get<4>();
    m.recipientOrgId = r.get<5>();
    m.address = r.get<6>();
    m.message = r.get<7>();
    m.messageSha256 = r.get<8>();
    m.attempts = static_cast<int>(r.get<9>());
    m.nextAttemptAtMs = r.get<10>();
    if (r.get<11>() >= 0) m.deliveredAtMs = r.get<11>();
    m.smtpStatus = static_cast<int>(r.get<12>());
    m.dead = r.get<13>() != 0;
    m.lastError = r.get<14>();
    m.createdAt = r.get<15>();
    return m;
}

} // namespace

Result<bool> MailStore::enqueue(const QueuedMail& mail, const AuditEvent& audit) {
    bool inserted = false;
    Status st = _store->writeTransaction("mail.enqueue", [&](Session& s) {
        // Once per dedupe key: a second notification of the same event to the same
        // person writes nothing (and no audit event). A concurrent instance that
        // inserts the same key first makes this INSERT a no-op too.
        Sql q(s);
        std::size_t n = q.run(
            "INSERT INTO mail_outbox (id, dedupe_key, kind, reference, recipient_user_id, recipient_org_id, address, message,"
            " message_sha256, attempts, next_attempt_at, lease_until, delivered_at, smtp_status, dead, last_error, created_at)"
            " VALUES (" + q.str(mail.id) + ", " + q.str(mail.dedupeKey) + ", " + q.str(mail.kind) + ", " +
            q.str(mail.reference) + ", " + q.str(mail.recipientUserId) + ", " + q.str(mail.recipientOrgId) + ", " +
            q.str(mail.address) + ", " + q.str(mail.message) + ", " + q.str(mail.messageSha256) + ", 0, " +
            q.num(mail.nextAttemptAtMs) + ", 0, NULL, 0, 0, '', " + q.str(nowIso()) + ") ON CONFLICT (dedupe_key) DO NOTHING");
        if (n == 0) return Status::ok();
        inserted = true;
        _store->appendAuditInTransaction(s, audit);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return inserted;
}

Result<std::vector<QueuedMail>> MailStore::listMail(const std::string& reference) {
    std::vector<QueuedMail> out;
    Status st = _store->readSession("mail.list", [&](Session& s) {
        Sql q(s);
        std::vector<MailRow> rows;
        std::string sql = std::string("SELECT ") + MAIL_COLUMNS + " FROM mail_outbox";
        if (!reference.empty()) sql += " WHERE reference = " + q.str(reference);
        q.run(sql + " ORDER BY created_at, id", into(rows));
        for (const auto& r : rows) out.push_back(toMail(r));
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

// Due: not delivered, not dead, its time has come and no lease is running.
Result<std::vector<delivery::OutboxMessage>> MailStore::claimDue(std::int64_t nowMs, int max, std::int64_t leaseMs) {
    std::vector<delivery::OutboxMessage> out;
    const bool sqlite = _store->isSqlite();
    Status st = _store->writeTransaction("mail.claim", [&](Session& s) {
        // SQLite: take the write lock before reading (two processes on one file queue on
        // busy_timeout instead of both reading the same rows). PostgreSQL: SKIP LOCKED below.
        if (sqlite) Sql(s).run("UPDATE mail_outbox SET lease_until = lease_until WHERE 1 = 0");
        using Row = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, Int64, Int64>;
        std::vector<Row> rows;
        {
            Sql q(s);
            std::string sql = "SELECT id, recipient_org_id, address, message, reference, attempts, next_attempt_at"
                              " FROM mail_outbox WHERE delivered_at IS NULL AND dead = 0 AND next_attempt_at <= " +
                              q.num(nowMs);
            sql += " AND lease_until <= " + q.num(nowMs);
            sql += " ORDER BY next_attempt_at, id LIMIT " + q.num(std::max(1, max));
            if (!sqlite) sql += " FOR UPDATE SKIP LOCKED";
            q.run(sql, into(rows));
        }
        for (const auto& r : rows) {
            Sql q(s);
            q.run("UPDATE mail_outbox SET lease_until = " + q.num(nowMs + leaseMs) + " WHERE id = " + q.str(r.get<0>()));
            delivery::OutboxMessage m;
            m.id = r.get<0>();
            m.recipientOrgId = r.get<1>();
            m.url = "mailto:" + r.get<2>();
            m.body = r.get<3>();
            m.transmissionId = r.get<4>();
            m.attempts = static_cast<int>(r.get<5>());
            m.nextAttemptAt = r.get<6>();
            out.push_back(std::move(m));
        }
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Status MailStore::markDelivered(const std::string& id, std::int64_t atMs, int smtpStatus) {
    return _store->writeTransaction("mail.delivered", [&](Session& s) {
        Sql q(s);
        q.run("UPDATE mail_outbox SET delivered_at = " + q.num(atMs) + ", smtp_status = " + q.num(smtpStatus) +
              ", attempts = attempts + 1, lease_until = 0, last_error = '', message = '' WHERE id = " + q.str(id) +
              " AND delivered_at IS NULL");
        return Status::ok();
    });
}

Status MailStore::markFailed(const std::string& id, int attempts, std::int64_t nextAttemptAtMs, bool dead,
                             const std::string& error) {
    return _store->writeTransaction("mail.failed", [&](Session& s) {
        Sql q(s);
        std::string sql = "UPDATE mail_outbox SET attempts = " + q.num(attempts);
        sql += ", next_attempt_at = " + q.num(nextAttemptAtMs);
        sql += ", dead = " + q.num(dead ? 1 : 0);
        sql += ", last_error = " + q.str(error.substr(0, 500));
        if (dead) sql += ", message = ''";
        sql += ", lease_until = 0 WHERE id = " + q.str(id) + " AND delivered_at IS NULL";
        q.run(sql);
        return Status::ok();
    });
}

Result<std::map<std::string, bool>> MailStore::preferences(const std::string& userId) {
    std::map<std::string, bool> out;
    Status st = _store->readSession("mail.preferences", [&](Session& s) {
        Sql q(s);
        std::vector<Poco::Tuple<std::string, Int64>> rows;
        q.run("SELECT kind, enabled FROM notification_preferences WHERE user_id = " + q.str(userId), into(rows));
        for (const auto& r : rows) out[r.get<0>()] = r.get<1>() != 0;
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Status MailStore::setPreferences(const std::string& userId, const std::map<std::string, bool>& choices,
                                 const AuditEvent& audit) {
    return _store->writeTransaction("mail.setPreferences", [&](Session& s) {
        const std::string at = nowIso();
        for (const auto& [kind, on] : choices) {
            Sql q(s);
            q.run("INSERT INTO notification_preferences (user_id, kind, enabled, updated_at) VALUES (" + q.str(userId) + ", " +
                  q.str(kind) + ", " + q.num(on ? 1 : 0) + ", " + q.str(at) +
                  ") ON CONFLICT (user_id, kind) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at");
        }
        _store->appendAuditInTransaction(s, audit);
        return Status::ok();
    });
}

Result<std::vector<ExpiringConsent>> MailStore::consentsToRemind(std::int64_t nowSeconds, std::int64_t untilSeconds) {
    std::vector<ExpiringConsent> out;
    Status st = _store->readSession("mail.consentsToRemind", [&](Session& s) {
        Sql q(s);
        using Row = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, Int64>;
        std::vector<Row> rows;
        q.run("SELECT c.id, c.dossier_id, d.association_id, c.recipient_id, c.document_kinds, c.expires_at"
              " FROM consents c JOIN dossiers d ON d.id = c.dossier_id"
              " WHERE c.kind = 'consent' AND c.withdrawn_at IS NULL AND c.expires_at IS NOT NULL"
              " AND c.expires_at > " + q.num(nowSeconds) + " AND c.expires_at <= " + q.num(untilSeconds) +
              " AND NOT EXISTS (SELECT 1 FROM consent_reminders r WHERE r.consent_id = c.id)"
              " AND NOT EXISTS (SELECT 1 FROM consents n WHERE n.supersedes = c.id)"
              " ORDER BY c.expires_at, c.id",
              into(rows));
        for (const auto& r : rows) {
            ExpiringConsent e;
            e.consentId = r.get<0>();
            e.dossierId = r.get<1>();
            e.associationId = r.get<2>();
            e.recipientOrgId = r.get<3>();
            // document_kinds: form ids separated by spaces; the first one names the message.
            const std::string& kinds = r.get<4>();
            const std::size_t b = kinds.find_first_not_of(' ');
            if (b != std::string::npos) e.documentKind = kinds.substr(b, kinds.find(' ', b) - b);
            e.expiresAt = r.get<5>();
            out.push_back(std::move(e));
        }
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<bool> MailStore::markReminded(const std::string& consentId) {
    bool inserted = false;
    Status st = _store->writeTransaction("mail.markReminded", [&](Session& s) {
        Sql q(s);
        inserted = q.run("INSERT INTO consent_reminders (consent_id, reminded_at) VALUES (" + q.str(consentId) + ", " +
                         q.str(nowIso()) + ") ON CONFLICT (consent_id) DO NOTHING") > 0;
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return inserted;
}

} // namespace passerelle::storage
