// PocoStore: the signing secret of a landlord's (or SIAO's) webhook (issue 12, migration 13).
// Table webhook_secrets: one row per organisation, replaced when a new secret is made; the
// write goes with its audit event (identifiers only, never the secret) in one transaction.
// The secret is kept as is: the delivery signs each push with it (HMAC-SHA256).
#include <deque>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "storage/WebhookSecretStore.h"

#include "storage/PocoStore.h"

namespace passerelle::storage {

using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

std::string nowIso() { return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ"); }

// One statement with "$n" placeholders ("?" on SQLite) and its bound strings.
class Sql {
public:
    explicit Sql(Session& s) : _s(s) {}
    std::string str(const std::string& v) {
        _strings.push_back(v);
        _binds.push_back(useRef(_strings.back()));
        return "$" + std::to_string(_binds.size());
    }
    template <typename... E>
    std::size_t run(const std::string& sql, E... extractions) {
        std::string text = sql;
        if (_s.connector() == "sqlite")
            for (char& c : text)
                if (c == '$') c = '?';
        Statement st(_s);
        st << text;
        for (auto& b : _binds) st.addBind(b);
        (st.addExtract(extractions), ...);
        return st.execute();
    }

private:
    Session& _s;
    std::deque<std::string> _strings;
    std::vector<Poco::Data::AbstractBinding::Ptr> _binds;
};

} // namespace

Result<WebhookSecret> PocoWebhookSecretStore::setWebhookSecret(const std::string& organisationId, const std::string& secret,
                                                              const AuditEvent& audit) {
    WebhookSecret w{organisationId, secret, nowIso()};
    Status st = _store->writeTransaction("setWebhookSecret", [&](Session& s) {
        std::size_t n;
        {
            Sql q(s);
            n = q.run("UPDATE webhook_secrets SET secret = " + q.str(secret) + ", created_at = " + q.str(w.createdAt) +
                      " WHERE organisation_id = " + q.str(organisationId));
        }
        if (n == 0) {
            Sql q(s);
            q.run("INSERT INTO webhook_secrets (organisation_id, secret, created_at) VALUES (" + q.str(organisationId) + ", " +
                  q.str(secret) + ", " + q.str(w.createdAt) + ")");
        }
        _store->appendAuditInTransaction(s, audit);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return w;
}

Result<WebhookSecret> PocoWebhookSecretStore::findWebhookSecret(const std::string& organisationId) {
    std::vector<std::string> secrets, created;
    Status st = _store->readSession("findWebhookSecret", [&](Session& s) {
        Sql q(s);
        q.run("SELECT secret, created_at FROM webhook_secrets WHERE organisation_id = " + q.str(organisationId), into(secrets),
              into(created));
        return Status::ok();
    });
    if (!st.isOk()) return st;
    if (secrets.empty()) return Status::notFound("webhook_secret_not_found", "Aucun secret de webhook n’est défini.");
    return WebhookSecret{organisationId, secrets.front(), created.front()};
}

} // namespace passerelle::storage
