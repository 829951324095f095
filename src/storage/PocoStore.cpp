#include "storage/PocoStore.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <type_traits>

#include <sqlite3.h>

#include <Poco/Data/LOB.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/RandomStream.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/Tuple.h>
#include <Poco/URI.h>

#include "common/Metrics.h"
#include "storage/DossierIndex.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

bool isOrganisationKind(const std::string& kind) {
    return kind == KIND_ASSOCIATION || kind == KIND_BAILLEUR || kind == KIND_FINANCEUR || kind == KIND_SIAO;
}

// ---------------------------------------------------------------------------
// Schema. Each migration is a list of statements run in one transaction; a
// migration is never edited once released: add a new one instead. `{BLOB}` is
// the binary column type of the dialect (BLOB on SQLite, BYTEA on PostgreSQL).
namespace {

struct Migration {
    int version;
    const char* description;
    std::vector<std::string> statements;
};

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> all = {
        {1, "organisations, clés d'API, partenariats, actions, dossiers, documents et révisions",
         {
             "CREATE TABLE organisations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
             " created_at TEXT NOT NULL)",
             "CREATE TABLE api_keys (id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id),"
             " prefix TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at TEXT NOT NULL,"
             " revoked_at TEXT NOT NULL)",
             "CREATE INDEX api_keys_organisation ON api_keys(organisation_id)",
             "CREATE INDEX api_keys_prefix ON api_keys(prefix)",
             "CREATE TABLE partnerships (id TEXT PRIMARY KEY, association_id TEXT NOT NULL REFERENCES organisations(id),"
             " bailleur_id TEXT NOT NULL REFERENCES organisations(id), created_at TEXT NOT NULL,"
             " UNIQUE (association_id, bailleur_id))",
             "CREATE TABLE actions (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
             " association_id TEXT NOT NULL REFERENCES organisations(id), created_at TEXT NOT NULL)",
             "CREATE INDEX actions_association ON actions(association_id)",
             "CREATE TABLE action_funders (action_id TEXT NOT NULL REFERENCES actions(id),"
             " funder_id TEXT NOT NULL REFERENCES organisations(id), PRIMARY KEY (action_id, funder_id))",
             "CREATE INDEX action_funders_funder ON action_funders(funder_id)",
             "CREATE TABLE dossiers (id TEXT PRIMARY KEY, association_id TEXT NOT NULL REFERENCES organisations(id),"
             " reference TEXT NOT NULL, statut TEXT NOT NULL, menage_json TEXT NOT NULL, logement_json TEXT NOT NULL,"
             " version BIGINT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
             "CREATE INDEX dossiers_association ON dossiers(association_id, created_at)",
             "CREATE TABLE documents (id TEXT PRIMARY KEY, form TEXT NOT NULL, dossier_id TEXT REFERENCES dossiers(id),"
             " action_id TEXT REFERENCES actions(id), owner_id TEXT NOT NULL REFERENCES organisations(id),"
             " current_revision BIGINT NOT NULL, created_by_org TEXT NOT NULL, created_by_key TEXT NOT NULL,"
             " created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
             " CHECK ((dossier_id IS NULL) <> (action_id IS NULL)))",
             "CREATE INDEX documents_dossier ON documents(dossier_id)",
             "CREATE INDEX documents_action ON documents(action_id)",
             "CREATE INDEX documents_owner ON documents(owner_id, created_at)",
             // Revisions are append-only: a signed contract is never overwritten.
             "CREATE TABLE revisions (document_id TEXT NOT NULL REFERENCES documents(id), revision BIGINT NOT NULL,"
             " variant TEXT NOT NULL, form_version TEXT NOT NULL, input_json TEXT NOT NULL,"
             " created_by_org TEXT NOT NULL, created_by_key TEXT NOT NULL, created_at TEXT NOT NULL,"
             " PRIMARY KEY (document_id, revision))",
             "CREATE TABLE artefacts (document_id TEXT NOT NULL, revision BIGINT NOT NULL, format TEXT NOT NULL,"
             " content_type TEXT NOT NULL, sha256 TEXT NOT NULL, size_bytes BIGINT NOT NULL, bytes {BLOB} NOT NULL,"
             " PRIMARY KEY (document_id, revision, format),"
             " FOREIGN KEY (document_id, revision) REFERENCES revisions(document_id, revision))",
         }},
        // Consent gate and transmission to landlords (issue 6). Times of
        // consents are epoch seconds (consent::Instant), outbox times epoch
        // milliseconds; NULL withdrawn_at / expires_at / delivered_at mean "not yet".
        {2, "consentements, transmissions aux bailleurs, journal d'audit chaîné, webhooks et file d'envoi",
         {
             // Immutable: the only UPDATE sets withdrawn_at once (WHERE withdrawn_at IS NULL).
             "CREATE TABLE consents (id TEXT PRIMARY KEY, dossier_id TEXT NOT NULL REFERENCES dossiers(id),"
             " kind TEXT NOT NULL, given_by TEXT NOT NULL, capacity TEXT NOT NULL,"
             " recipient_id TEXT NOT NULL REFERENCES organisations(id), document_kinds TEXT NOT NULL,"
             " categories TEXT NOT NULL, purpose TEXT NOT NULL, given_at BIGINT NOT NULL, how TEXT NOT NULL,"
             " proof_document_id TEXT NOT NULL, proof_sha256 TEXT NOT NULL, recorded_by TEXT NOT NULL,"
             " expires_at BIGINT, withdrawn_at BIGINT, supersedes TEXT NOT NULL, created_by_org TEXT NOT NULL,"
             " created_by_key TEXT NOT NULL, created_at TEXT NOT NULL)",
             "CREATE INDEX consents_dossier ON consents(dossier_id, given_at)",
             "CREATE TABLE transmissions (id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),"
             " revision BIGINT NOT NULL, dossier_id TEXT NOT NULL REFERENCES dossiers(id), form TEXT NOT NULL,"
             " sender_id TEXT NOT NULL REFERENCES organisations(id),"
             " recipient_id TEXT NOT NULL REFERENCES organisations(id), allowed BIGINT NOT NULL,"
             " decision TEXT NOT NULL, consent_id TEXT NOT NULL, excluded_json TEXT NOT NULL,"
             " permitted_json TEXT NOT NULL, created_by_key TEXT NOT NULL, created_at TEXT NOT NULL,"
             " FOREIGN KEY (document_id, revision) REFERENCES revisions(document_id, revision))",
             "CREATE INDEX transmissions_recipient ON transmissions(recipient_id, allowed, created_at)",
             "CREATE INDEX transmissions_document ON transmissions(document_id)",
             "CREATE TABLE transmission_artefacts (transmission_id TEXT NOT NULL REFERENCES transmissions(id),"
             " format TEXT NOT NULL, content_type TEXT NOT NULL, sha256 TEXT NOT NULL, size_bytes BIGINT NOT NULL,"
             " bytes {BLOB} NOT NULL, PRIMARY KEY (transmission_id, format))",
             "CREATE TABLE webhooks (organisation_id TEXT PRIMARY KEY REFERENCES organisations(id), url TEXT NOT NULL,"
             " updated_at TEXT NOT NULL)",
             "CREATE TABLE outbox (id TEXT PRIMARY KEY, transmission_id TEXT NOT NULL REFERENCES transmissions(id),"
             " recipient_id TEXT NOT NULL, url TEXT NOT NULL, body TEXT NOT NULL, attempts BIGINT NOT NULL,"
             " next_attempt_at BIGINT NOT NULL, lease_until BIGINT NOT NULL, delivered_at BIGINT,"
             " http_status BIGINT NOT NULL, dead BIGINT NOT NULL, last_error TEXT NOT NULL, created_at TEXT NOT NULL)",
             "CREATE INDEX outbox_due ON outbox(next_attempt_at)",
             "CREATE INDEX outbox_transmission ON outbox(transmission_id)",
             // Append-only hash chain (audit::chain); seq is the primary key: a forked chain cannot be stored.
             "CREATE TABLE audit_log (seq BIGINT PRIMARY KEY, at TEXT NOT NULL, event TEXT NOT NULL,"
             " actor TEXT NOT NULL, subject TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL,"
             " hash TEXT NOT NULL)",
         }},
        // Seed 004: "le SIAO est mis en copie de l'envoi" where the partnership
        // says so, and only when the household's consent says so too.
        {3, "copie au SIAO : SIAO du partenariat, accord du ménage pour la copie, copies transmises",
         {
             "ALTER TABLE partnerships ADD COLUMN siao_id TEXT NOT NULL DEFAULT ''",
             "ALTER TABLE consents ADD COLUMN copie_siao BIGINT NOT NULL DEFAULT 0",
             "ALTER TABLE transmissions ADD COLUMN copy_of TEXT NOT NULL DEFAULT ''",
             "CREATE INDEX transmissions_copy_of ON transmissions(copy_of)",
         }},
        // Issue 9: people sign in to the web pages (accounts, sessions shared by
        // every instance, sign-in throttling) and find dossiers by search.
        {4, "comptes, sessions web, limitation des connexions, recherche des dossiers",
         {
             "CREATE TABLE users (id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id),"
             " email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
             " must_change_password BIGINT NOT NULL, disabled_at TEXT NOT NULL, created_at TEXT NOT NULL,"
             " updated_at TEXT NOT NULL)",
             "CREATE INDEX users_organisation ON users(organisation_id, name)",
             "CREATE TABLE web_sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
             " csrf_token TEXT NOT NULL, created_at_ms BIGINT NOT NULL, last_seen_at_ms BIGINT NOT NULL,"
             " expires_at_ms BIGINT NOT NULL)",
             "CREATE INDEX web_sessions_user ON web_sessions(user_id)",
             "CREATE TABLE login_throttle (throttle_key TEXT PRIMARY KEY, failures BIGINT NOT NULL,"
             " last_failure_at_ms BIGINT NOT NULL, locked_until_ms BIGINT NOT NULL)",
             "CREATE TABLE dossier_index (dossier_id TEXT PRIMARY KEY REFERENCES dossiers(id),"
             " association_id TEXT NOT NULL, search_text TEXT NOT NULL, referent_user_id TEXT NOT NULL)",
             "CREATE INDEX dossier_index_association ON dossier_index(association_id, referent_user_id)",
         }},
        // Issue 9: drafts of documents, saved at any moment (storage::DraftStore,
        // DraftStore.cpp). A draft is not a document: no artefact, never transmitted.
        {5, "brouillons de documents",
         {
             "CREATE TABLE drafts (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES organisations(id),"
             " dossier_id TEXT REFERENCES dossiers(id), action_id TEXT REFERENCES actions(id), form TEXT NOT NULL,"
             " variant TEXT NOT NULL, document_id TEXT REFERENCES documents(id), base_revision BIGINT NOT NULL,"
             " values_json TEXT NOT NULL, created_by TEXT NOT NULL, updated_by TEXT NOT NULL, version BIGINT NOT NULL,"
             " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, finalised_document_id TEXT NOT NULL,"
             " finalised_revision BIGINT NOT NULL)",
             "CREATE INDEX drafts_dossier ON drafts(dossier_id, updated_at)",
             "CREATE INDEX drafts_action ON drafts(action_id, updated_at)",
         }},
        // Idempotency-Key of the creating POSTs (issue 15 §5; storage/Idempotency.h). Times are
        // epoch seconds; status 0 while the answer is not stored yet.
        {6, "clés d'idempotence des requêtes de création (Idempotency-Key)",
         {
             "CREATE TABLE idempotency_keys (organisation_id TEXT NOT NULL, idem_key TEXT NOT NULL,"
             " request_hash TEXT NOT NULL, resource_kind TEXT NOT NULL, resource_id TEXT NOT NULL,"
             " status BIGINT NOT NULL, response TEXT NOT NULL, location TEXT NOT NULL,"
             " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (organisation_id, idem_key))",
             "CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at)",
         }},
        // Signed documents (issue 10): a signing per revision, its signatories
        // (each signature with who, how, when, the hash signed, image, IP and
        // agent) and the sealed PDF once everyone signed.
        {7, "signatures : signatures des documents, signataires, PDF signé et scellé",
         {
             "CREATE TABLE signings (id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),"
             " revision BIGINT NOT NULL, revision_sha256 TEXT NOT NULL, owner_id TEXT NOT NULL REFERENCES organisations(id),"
             " bailleur_id TEXT NOT NULL, state TEXT NOT NULL, created_by_key TEXT NOT NULL, created_at TEXT NOT NULL,"
             // One signing per revision: after a refusal, a new revision is signed.
             " completed_at TEXT NOT NULL, UNIQUE (document_id, revision),"
             " FOREIGN KEY (document_id, revision) REFERENCES revisions(document_id, revision))",
             "CREATE INDEX signings_document ON signings(document_id, created_at)",
             "CREATE TABLE signatories (id TEXT PRIMARY KEY, signing_id TEXT NOT NULL REFERENCES signings(id),"
             " position BIGINT NOT NULL, party TEXT NOT NULL, name TEXT NOT NULL, capacity TEXT NOT NULL, box BIGINT NOT NULL,"
             " state TEXT NOT NULL, method TEXT NOT NULL, witness TEXT NOT NULL, typed_name TEXT NOT NULL,"
             " signed_at TEXT NOT NULL, signed_at_paris TEXT NOT NULL, revision_sha256 TEXT NOT NULL,"
             " image_sha256 TEXT NOT NULL, ip TEXT NOT NULL, user_agent TEXT NOT NULL, signer_org TEXT NOT NULL,"
             // The PNG image in base64 ("" for a refusal or a typed name): an empty BLOB binds as NULL on SQLite.
             " signer_key TEXT NOT NULL, image_base64 TEXT NOT NULL)",
             "CREATE INDEX signatories_signing ON signatories(signing_id, position)",
             "CREATE TABLE signed_documents (signing_id TEXT PRIMARY KEY REFERENCES signings(id), sha256 TEXT NOT NULL,"
             " size_bytes BIGINT NOT NULL, bytes {BLOB} NOT NULL, created_at TEXT NOT NULL)",
         }},
        // Keyed audit chain (HMAC under a key held outside the database): each
        // entry names its key; "" marks the unkeyed entries written before.
        {8, "journal d'audit signé : clé de chaque entrée",
         {
             "ALTER TABLE audit_log ADD COLUMN key_id TEXT NOT NULL DEFAULT ''",
         }},
        // E-mail notifications (issue 12; storage/MailStore.h, MailStore.cpp): the durable
        // outbox of messages (dedupe_key: one message per event and recipient), each
        // user's choices (a kind without a row is on) and the consents already reminded.
        {9, "notifications par courriel : file d'envoi, préférences, rappels d'échéance des consentements",
         {
             "CREATE TABLE mail_outbox (id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
             " reference TEXT NOT NULL, recipient_user_id TEXT NOT NULL, recipient_org_id TEXT NOT NULL,"
             " address TEXT NOT NULL, message TEXT NOT NULL, message_sha256 TEXT NOT NULL, attempts BIGINT NOT NULL,"
             " next_attempt_at BIGINT NOT NULL, lease_until BIGINT NOT NULL, delivered_at BIGINT,"
             " smtp_status BIGINT NOT NULL, dead BIGINT NOT NULL, last_error TEXT NOT NULL, created_at TEXT NOT NULL)",
             "CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at)",
             "CREATE INDEX mail_outbox_reference ON mail_outbox(reference)",
             "CREATE TABLE notification_preferences (user_id TEXT NOT NULL REFERENCES users(id), kind TEXT NOT NULL,"
             " enabled BIGINT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (user_id, kind))",
             "CREATE TABLE consent_reminders (consent_id TEXT PRIMARY KEY REFERENCES consents(id),"
             " reminded_at TEXT NOT NULL)",
         }},
        // Signing in the browser (issue 10) and the autorisation as a consent's
        // evidence (issue 11, items 4-5): single-use signing links (only the
        // SHA-256 of the secret), the partnership's links setting, signed paper
        // scans and the recipient copy shown before the household signs.
        {11, "liens de signature, scans et aperçus de l'autorisation de transmission",
         {
             "CREATE TABLE signing_links (token_hash TEXT PRIMARY KEY, signatory_id TEXT NOT NULL REFERENCES signatories(id),"
             " signing_id TEXT NOT NULL REFERENCES signings(id), document_id TEXT NOT NULL, created_at_ms BIGINT NOT NULL,"
             " expires_at_ms BIGINT NOT NULL, used_at_ms BIGINT NOT NULL, created_by_org TEXT NOT NULL)",
             "CREATE TABLE signing_link_settings (association_id TEXT NOT NULL, bailleur_id TEXT NOT NULL,"
             " enabled BIGINT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (association_id, bailleur_id))",
             "CREATE TABLE autorisation_scans (id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),"
             " revision BIGINT NOT NULL, sha256 TEXT NOT NULL, content_type TEXT NOT NULL, size_bytes BIGINT NOT NULL,"
             " bytes {BLOB} NOT NULL, created_by_org TEXT NOT NULL, created_at TEXT NOT NULL)",
             "CREATE INDEX autorisation_scans_document ON autorisation_scans(document_id, revision, created_at)",
             "CREATE TABLE autorisation_previews (id TEXT PRIMARY KEY, document_id TEXT NOT NULL REFERENCES documents(id),"
             " revision BIGINT NOT NULL, shown_document_id TEXT NOT NULL, shown_revision BIGINT NOT NULL,"
             " recipient_id TEXT NOT NULL, sha256 TEXT NOT NULL, confirmed_by TEXT NOT NULL, created_at TEXT NOT NULL,"
             " bytes {BLOB} NOT NULL)",
             "CREATE INDEX autorisation_previews_document ON autorisation_previews(document_id, revision, created_at)",
         }},
        // Issue 12: the first reading of a received copy by its recipient (landlord or SIAO),
        // for the inbox's « nouveau / lu » and the association's « lu par le bailleur »
        // (ReceivedStore.cpp). One row per transmission; the first reading stays.
        {12, "lecture des copies reçues par les bailleurs et le SIAO",
         {
             "CREATE TABLE transmission_reads (transmission_id TEXT PRIMARY KEY REFERENCES transmissions(id),"
             " organisation_id TEXT NOT NULL, user_id TEXT NOT NULL, read_at_ms BIGINT NOT NULL)",
         }},
        {13, "secret de signature des webhooks des bailleurs (WebhookSecretStore.cpp)",
         {
             "CREATE TABLE webhook_secrets (organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),"
             " secret TEXT NOT NULL, created_at TEXT NOT NULL)",
         }},
        // Issue 11 items 6 and 11 (ConsentSettingsStore.cpp): whether a partnership accepts a consent
        // recorded in person without a signed autorisation (default: no), and the data controller's
        // contact printed on the household's receipt.
        {14, "accord recueilli en personne par partenariat, coordonnées des organisations (reçu du ménage)",
         {
             "CREATE TABLE in_person_consent_settings (association_id TEXT NOT NULL, bailleur_id TEXT NOT NULL,"
             " enabled BIGINT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (association_id, bailleur_id))",
             "CREATE TABLE organisation_contacts (organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),"
             " adresse TEXT NOT NULL, telephone TEXT NOT NULL, email TEXT NOT NULL, updated_at TEXT NOT NULL)",
         }},
        // Issue 11 item 7: a push the consent gate no longer allows at delivery time is cancelled
        // (never sent), with the gate's reason; NULL cancelled_at: not cancelled.
        {15, "annulation des envois webhook dont le consentement ne tient plus (retiré, expiré, remplacé)",
         {
             "ALTER TABLE outbox ADD COLUMN cancelled_at BIGINT",
             "ALTER TABLE outbox ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT ''",
         }},
        // Issue 11, item 12 (docs/rgpd.md): a dossier's life cycle for the retention periods —
        // when it was closed, archived (read-only) and its personal data erased ("" : not yet).
        // Dossiers already closed count from their last update.
        {16, "cycle de vie des dossiers : clôture, archivage, effacement des données personnelles",
         {
             "ALTER TABLE dossiers ADD COLUMN closed_at TEXT NOT NULL DEFAULT ''",
             "ALTER TABLE dossiers ADD COLUMN archived_at TEXT NOT NULL DEFAULT ''",
             "ALTER TABLE dossiers ADD COLUMN erased_at TEXT NOT NULL DEFAULT ''",
             "UPDATE dossiers SET closed_at = updated_at WHERE statut = 'clos'",
             "CREATE INDEX dossiers_closed ON dossiers(closed_at)",
         }},
        // The inbox of a landlord or the SIAO is searched and paged by the database
        // (ReceivedStore.cpp): one row per allowed transmission, written with it.
        {17, "index de recherche des copies reçues",
         {
             "CREATE TABLE transmission_index (transmission_id TEXT PRIMARY KEY REFERENCES transmissions(id),"
             " recipient_id TEXT NOT NULL, search_text TEXT NOT NULL)",
             "CREATE INDEX transmission_index_recipient ON transmission_index(recipient_id)",
         }},
        // Issue 10/11: the consent keeps the SHA-256 of the recipient copy shown to the household
        // (AutorisationPreview), written with the record; until now only its consent.given audit
        // entry carried it ("shownSha256"), from which the migration fills the older rows.
        {18, "empreinte de la copie montrée au ménage dans le consentement",
         {
             "ALTER TABLE consents ADD COLUMN shown_sha256 TEXT NOT NULL DEFAULT ''",
         }},
        // Webhook delivery is lease → send → record (delivery/Outbox.h): the worker that passed the
        // consent gate for a message holds it (lease_owner, until lease_until, epoch ms) while it sends
        // outside any transaction, and records the outcome only while the lease is its own. '': nobody.
        {19, "envois webhook : bail de l'instance qui envoie (envoi hors transaction)",
         {
             "ALTER TABLE outbox ADD COLUMN lease_owner TEXT NOT NULL DEFAULT ''",
         }},
        // Issue 10: sending a signatory a new personal link replaces the links still out for them
        // (epoch ms; 0: not replaced), so that only the latest e-mail opens the signing.
        {20, "liens de signature : un nouveau lien remplace les précédents",
         {
             "ALTER TABLE signing_links ADD COLUMN replaced_at_ms BIGINT NOT NULL DEFAULT 0",
         }},
    };
    return all;
}

std::string nowIso() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

} // namespace

std::string newId(const std::string& prefix) {
    Poco::RandomInputStream rnd;
    unsigned char raw[8];
    rnd.read(reinterpret_cast<char*>(raw), sizeof raw);
    static const char* hex = "0123456789abcdef";
    std::string id = prefix;
    for (unsigned char c : raw) {
        id.push_back(hex[c >> 4]);
        id.push_back(hex[c & 0xF]);
    }
    return id;
}

namespace {
void backfillConsentShownSha256(Poco::Data::Session& s); // migration 18, beside the consents' SQL
} // namespace

namespace {

// Bound values of one statement, kept alive until it has run. Each add*()
// returns the next placeholder ("$1", "$2", …): build the SQL in the order of
// the calls so that placeholders ascend (SQLite numbers them by appearance).
class Params {
public:
    std::string str(const std::string& v) {
        _strings.push_back(v);
        return push(useRef(_strings.back()));
    }
    std::string num(Int64 v) {
        _ints.push_back(v);
        return push(useRef(_ints.back()));
    }
    std::string blob(const std::string& bytes) {
        _blobs.emplace_back(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
        return push(useRef(_blobs.back()));
    }
    void bindTo(Statement& st) {
        for (auto& b : _binds) st.addBind(b);
    }

private:
    std::string push(Poco::Data::AbstractBinding::Ptr b) {
        _binds.push_back(std::move(b));
        return "$" + std::to_string(_binds.size());
    }
    std::deque<std::string> _strings;
    std::deque<Int64> _ints;
    std::deque<Poco::Data::BLOB> _blobs;
    std::vector<Poco::Data::AbstractBinding::Ptr> _binds;
};

// The SQL of this file numbers its placeholders "$n" (PostgreSQL syntax).
// SQLite would number "$n" by order of appearance, not by n; its "?n" form
// binds by number, so the SQLite text is rewritten to it. This keeps binding
// correct whatever order the operands of a concatenation were evaluated in.
std::string dialectSql(const Session& s, const std::string& sql) {
    if (s.connector() != "sqlite") return sql;
    std::string out = sql;
    for (char& c : out)
        if (c == '$') c = '?';
    return out;
}

template <typename... E>
std::size_t exec(Session& s, const std::string& sql, Params& p, E... extractions) {
    Statement st(s);
    st << dialectSql(s, sql);
    p.bindTo(st);
    (st.addExtract(extractions), ...);
    return st.execute();
}

std::size_t exec(Session& s, const std::string& sql) {
    Params none;
    return exec(s, sql, none);
}

// " VALUES (a, b, …)": the one row of an INSERT, in column order. Each item is
// a placeholder from Params or an SQL literal (NULL); a braced list is
// evaluated left to right, so the placeholders ascend.
std::string values(std::initializer_list<std::string> items) {
    std::string out = " VALUES (";
    for (const auto& i : items) out += (&i == items.begin() ? "" : ", ") + i;
    return out + ")";
}

// Runs a SELECT and returns all its rows.
template <typename Row>
std::vector<Row> selectRows(Session& s, const std::string& sql, Params& p) {
    std::vector<Row> rows;
    exec(s, sql, p, into(rows));
    return rows;
}

// Maps every row with `map` (a row -> struct function).
template <typename Row, typename Map>
auto mapRows(const std::vector<Row>& rows, Map&& map) {
    std::vector<std::decay_t<decltype(map(rows.front()))>> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(map(r));
    return out;
}

// "Find by key or NotFound": runs a SELECT and maps its first row, or returns
// `notFound` when there is none.
template <typename Row, typename Map>
auto selectOne(Session& s, const std::string& sql, Params& p, const Status& notFound, Map&& map)
    -> Result<std::decay_t<decltype(map(std::declval<const Row&>()))>> {
    std::vector<Row> rows = selectRows<Row>(s, sql, p);
    if (rows.empty()) return notFound;
    return map(rows.front());
}

bool contains(const std::string& text, const char* what) { return text.find(what) != std::string::npos; }

// Converts a database failure into a Status once; the detail goes to the log only.
Status failure(const std::string& op, const std::string& detail) {
    Poco::Logger::get("passerelle.storage").error(op + " : " + detail);
    if (contains(detail, "UNIQUE constraint failed") || contains(detail, "duplicate key value"))
        return Status::failedPrecondition("already_exists", "Cet enregistrement existe déjà.");
    if (contains(detail, "FOREIGN KEY constraint failed") || contains(detail, "violates foreign key constraint"))
        return Status::notFound("reference_not_found", "Un enregistrement référencé n'existe pas.");
    return Status::internal("storage_error", "Erreur de la base de données : l'opération n'a pas été enregistrée.");
}

// The session pool. Poco's SessionPool throws at once when every session is in
// use, so its size must cover every thread that may hold one at the same time:
// `serve` sizes it to workers + 4 (the HTTP workers, the delivery loop and
// margin; the HTTP I/O thread never touches the store) and each Store call
// holds at most one session for its duration (no call nests another).
class Pool : public Poco::Data::SessionPool {
public:
    explicit Pool(const StoreConfig& c)
        : SessionPool(c.connector, c.connectionString, 1, c.maxSessions, 60),
          _sqlite(c.connector == "sqlite"), _busyTimeoutMs(c.busyTimeoutMs) {}

protected:
    // Per-connection settings of SQLite (not persistent in the file).
    void customizeSession(Session& s) override {
        if (!_sqlite) {
            // Server notices ("relation … already exists, skipping") would go to stderr: warnings only.
            s << "SET client_min_messages TO warning", now;
            return;
        }
        std::string ignored;
        s << "PRAGMA foreign_keys = ON", now;
        s << "PRAGMA busy_timeout = " + std::to_string(_busyTimeoutMs), into(ignored), now;
        s << "PRAGMA synchronous = NORMAL", now; // safe with WAL: a crash loses no committed transaction's integrity
    }

private:
    bool _sqlite;
    int _busyTimeoutMs;
};

using OrgRow = Poco::Tuple<std::string, std::string, std::string, std::string>;
const char* ORG_COLUMNS = "id, name, kind, created_at";
Organisation toOrganisation(const OrgRow& r) { return {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>()}; }

using KeyRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string>;
const char* KEY_COLUMNS = "k.id, k.organisation_id, k.prefix, k.name, k.created_at, k.revoked_at";
ApiKey toKey(const KeyRow& r) { return {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>()}; }

} // namespace

// The API-key lookup runs on every authenticated request. It reads the database each time,
// so a revocation made by any instance (or by `passerelle admin revoke-key`) is refused at
// the next request; but it takes no pooled session. On SQLite each of these connections keeps
// its statement prepared (sqlite3_stmt, reset between uses: Poco::Data would prepare the
// SQL again at every execution); on PostgreSQL Poco's statement is kept and run again.
// Connections are opened on demand (at most one per thread looking up at the same time: the
// HTTP workers) and kept up to kMaxIdle; one that fails is dropped and the lookup is tried
// once more on a fresh one.
class KeyLookups {
public:
    explicit KeyLookups(const StoreConfig& c) : _config(c), _sqlite(c.connector == "sqlite") {}

    Result<KeyOwner> find(const std::string& secretHash) {
        for (int attempt = 0;; ++attempt) {
            try {
                std::unique_ptr<Prepared> p = take();
                std::optional<std::array<std::string, 10>> row = p->run(secretHash);
                give(std::move(p));
                if (!row) return Status::notFound("key_not_found", "Clé d'API inconnue ou révoquée.");
                const auto& r = *row;
                KeyOwner o;
                o.key = {r[0], r[1], r[2], r[3], r[4], r[5]};
                o.organisation = {r[6], r[7], r[8], r[9]};
                return o;
            } catch (const Poco::Exception& e) {
                if (attempt > 0) return failure("findKeyByHash", e.displayText());
            } catch (const std::exception& e) {
                if (attempt > 0) return failure("findKeyByHash", e.what());
            }
        }
    }

private:
    static std::string sql(bool sqlite) {
        return std::string("SELECT ") + KEY_COLUMNS + ", o.id, o.name, o.kind, o.created_at FROM api_keys k"
               " JOIN organisations o ON o.id = k.organisation_id WHERE k.secret_hash = " + (sqlite ? "?1" : "$1") +
               " AND k.revoked_at = ''";
    }
    using Row = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                            std::string, std::string, std::string>;
    class Prepared {
    public:
        Prepared(const StoreConfig& c, bool sqlite) : _session(c.connector, c.connectionString), _sqlite(sqlite) {
            if (_sqlite) {
                std::string ignored;
                _session << "PRAGMA busy_timeout = " + std::to_string(c.busyTimeoutMs), into(ignored), now;
                sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(_session);
                const std::string text = sql(true);
                if (sqlite3_prepare_v3(db, text.c_str(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT, &_stmt,
                                       nullptr) != SQLITE_OK)
                    throw std::runtime_error(std::string("préparation : ") + sqlite3_errmsg(db));
            } else {
                _session << "SET client_min_messages TO warning", now;
                _statement = std::make_unique<Statement>(_session);
                *_statement << sql(false), use(_hash), into(_rows);
            }
        }
        ~Prepared() {
            if (_stmt) sqlite3_finalize(_stmt);
        }
        Prepared(const Prepared&) = delete;
        Prepared& operator=(const Prepared&) = delete;

        std::optional<std::array<std::string, 10>> run(const std::string& hash) {
            std::array<std::string, 10> out;
            if (!_sqlite) {
                _hash = hash;
                _rows.clear();
                _statement->execute();
                if (_rows.empty()) return std::nullopt;
                const Row& r = _rows.front();
                out = {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(),
                       r.get<5>(), r.get<6>(), r.get<7>(), r.get<8>(), r.get<9>()};
                _rows.clear();
                return out;
            }
            // Reset on every path, so that no read transaction stays open between lookups.
            struct Reset {
                sqlite3_stmt* s;
                ~Reset() { sqlite3_reset(s); sqlite3_clear_bindings(s); }
            } reset{_stmt};
            if (sqlite3_bind_text(_stmt, 1, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT) != SQLITE_OK)
                throw std::runtime_error("liaison de la requête de clé");
            const int rc = sqlite3_step(_stmt);
            if (rc == SQLITE_DONE) return std::nullopt;
            if (rc != SQLITE_ROW) throw std::runtime_error(std::string("lecture de la clé : ") + sqlite3_errstr(rc));
            for (int i = 0; i < 10; ++i) {
                const auto* text = sqlite3_column_text(_stmt, i);
                out[static_cast<std::size_t>(i)] =
                    text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(_stmt, i)))
                         : std::string();
            }
            return out;
        }

    private:
        Session _session;
        bool _sqlite;
        sqlite3_stmt* _stmt = nullptr;
        std::string _hash;
        std::vector<Row> _rows;
        std::unique_ptr<Statement> _statement;
    };
    static constexpr std::size_t kMaxIdle = 16;

    std::unique_ptr<Prepared> take() {
        {
            std::lock_guard<std::mutex> g(_mutex);
            if (!_idle.empty()) {
                auto p = std::move(_idle.back());
                _idle.pop_back();
                return p;
            }
        }
        return std::make_unique<Prepared>(_config, _sqlite);
    }
    void give(std::unique_ptr<Prepared> p) {
        std::lock_guard<std::mutex> g(_mutex);
        if (_idle.size() < kMaxIdle) _idle.push_back(std::move(p));
    }

    const StoreConfig _config;
    const bool _sqlite;
    std::mutex _mutex;
    std::vector<std::unique_ptr<Prepared>> _idle;
};

namespace {

using DossierRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string, Int64,
                               std::string, std::string, std::string, std::string, std::string>;
const char* DOSSIER_COLUMNS = "id, association_id, reference, statut, menage_json, logement_json, version, created_at,"
                              " updated_at, closed_at, archived_at, erased_at";
Dossier toDossier(const DossierRow& r) {
    Dossier d;
    d.id = r.get<0>();
    d.associationId = r.get<1>();
    d.reference = r.get<2>();
    d.statut = r.get<3>();
    d.menageJson = r.get<4>();
    d.logementJson = r.get<5>();
    d.version = r.get<6>();
    d.createdAt = r.get<7>();
    d.updatedAt = r.get<8>();
    d.closedAt = r.get<9>();
    d.archivedAt = r.get<10>();
    d.erasedAt = r.get<11>();
    return d;
}

using DocumentRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, Int64, std::string,
                                std::string, std::string, std::string, std::string, std::string>;
const char* DOCUMENT_SELECT =
    "SELECT d.id, d.form, COALESCE(d.dossier_id, ''), COALESCE(d.action_id, ''), d.owner_id, d.current_revision,"
    " r.variant, r.form_version, d.created_by_org, d.created_by_key, d.created_at, d.updated_at"
    " FROM documents d JOIN revisions r ON r.document_id = d.id AND r.revision = d.current_revision";
Document toDocument(const DocumentRow& r) {
    Document d;
    d.id = r.get<0>();
    d.form = r.get<1>();
    d.dossierId = r.get<2>();
    d.actionId = r.get<3>();
    d.ownerOrganisationId = r.get<4>();
    d.currentRevision = r.get<5>();
    d.variant = r.get<6>();
    d.formVersion = r.get<7>();
    d.createdByOrganisationId = r.get<8>();
    d.createdByKeyId = r.get<9>();
    d.createdAt = r.get<10>();
    d.updatedAt = r.get<11>();
    return d;
}

using PartnershipRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string>;
const char* PARTNERSHIP_COLUMNS = "id, association_id, bailleur_id, created_at, siao_id";
Partnership toPartnership(const PartnershipRow& r) {
    return {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>()};
}

// Funders are read apart (table action_funders): see Impl::funders.
using ActionRow = Poco::Tuple<std::string, std::string, std::string, std::string>;
const char* ACTION_COLUMNS = "a.id, a.title, a.association_id, a.created_at";

using RevisionRow = Poco::Tuple<Int64, std::string, std::string, std::string, std::string, std::string, std::string>;
using ArtefactRow = Poco::Tuple<Int64, std::string, std::string, std::string, Int64>;

// An artefact's description without its bytes.
Artefact artefactInfo(const std::string& format, const std::string& contentType, const std::string& sha256, Int64 size) {
    Artefact a;
    a.format = format;
    a.contentType = contentType;
    a.sha256 = sha256;
    a.size = size;
    return a;
}

// "content_type, sha256, size_bytes, bytes" of one artefact (of a revision or a transmission).
using ArtefactBytesRow = Poco::Tuple<std::string, std::string, Int64, Poco::Data::BLOB>;
Artefact toArtefactWithBytes(const std::string& format, const ArtefactBytesRow& r) {
    Artefact a = artefactInfo(format, r.get<0>(), r.get<1>(), r.get<2>());
    const Poco::Data::BLOB& b = r.get<3>();
    if (b.size()) a.bytes.assign(reinterpret_cast<const char*>(b.rawContent()), b.size());
    return a;
}

int clampLimit(int limit) { return std::clamp(limit, 1, 500); }

// One page of a list: COUNT(*) over `from` + WHERE, then `select` + WHERE in
// `orderBy` order with LIMIT/OFFSET. `where(p)` builds the WHERE clause and
// binds its values; it is called once per statement.
template <typename Row, typename Where, typename Map>
auto selectPage(Session& s, const std::string& from, const std::string& select, Where&& where,
                const std::string& orderBy, int limit, int offset, Map&& map) {
    Page<std::decay_t<decltype(map(std::declval<const Row&>()))>> page;
    {
        Params p;
        Int64 total = 0;
        exec(s, "SELECT COUNT(*) FROM " + from + where(p), p, into(total));
        page.total = total;
    }
    Params p;
    std::string sql = select + where(p) + " ORDER BY " + orderBy;
    sql += " LIMIT " + p.num(clampLimit(limit));
    sql += " OFFSET " + p.num(std::max(0, offset));
    page.items = mapRows(selectRows<Row>(s, sql, p), map);
    return page;
}

} // namespace

// ---------------------------------------------------------------------------
// Session and transaction helpers.
struct PocoStore::Impl {
    // A pooled session; the wait (write mutex included, from `since`) and pool exhaustion go to the metrics.
    static Session acquire(PocoStore& store, std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now()) {
        try {
            Session s(store._pool->get());
            metrics::observe("passerelle_db_session_wait_seconds", {},
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count());
            return s;
        } catch (const Poco::Data::SessionPoolExhaustedException&) {
            metrics::inc("passerelle_db_pool_exhausted_total");
            throw;
        }
    }

    // Runs `f(session)` outside any explicit transaction; converts exceptions once.
    template <typename T, typename F>
    static Result<T> read(PocoStore& store, const std::string& op, F&& f) {
        try {
            Session s(acquire(store));
            return f(s);
        } catch (const Poco::Exception& e) {
            return failure(op, e.displayText());
        } catch (const std::exception& e) {
            return failure(op, e.what());
        }
    }

    // Runs `f(session)` in one transaction: commit when it returns OK, roll
    // back when it returns an error or throws.
    template <typename T, typename F>
    static Result<T> write(PocoStore& store, const std::string& op, F&& f) {
        const auto waitStart = std::chrono::steady_clock::now();
        std::unique_lock<std::mutex> lock(store._writeMutex, std::defer_lock);
        if (store._sqlite) lock.lock();
        try {
            Session s(acquire(store, waitStart));
            s.begin();
            try {
                Result<T> r = f(s);
                if (r.isOk()) s.commit();
                else s.rollback();
                settleClaim(r.isOk());
                return r;
            } catch (...) {
                settleClaim(false);
                try {
                    s.rollback();
                } catch (...) {
                }
                throw;
            }
        } catch (const Poco::Exception& e) {
            return failure(op, e.displayText());
        } catch (const std::exception& e) {
            return failure(op, e.what());
        }
    }

    // write() for a step that returns no value: its Status only.
    template <typename F>
    static Status run(PocoStore& store, const std::string& op, F&& f) {
        return write<int>(store, op, [&](Session& s) -> Result<int> {
                   f(s);
                   return 0;
               })
            .status();
    }

    // Idempotency-Key (storage/Idempotency.h): inside a creating transaction, inserts the record
    // of the request's key, so that it is committed with the creation or not at all. A key
    // committed meanwhile by another request makes the INSERT fail: the transaction rolls
    // back and the claim says so (the caller then answers with the other request's result).
    static void claimIdempotency(PocoStore& store, Session& s, const char* kind, const std::string& resourceId) {
        IdempotencyClaim* c = IdempotencyScope::current();
        if (!c || c->claimed || c->insertedInTxn) return;
        (void)store;
        Params d;
        exec(s, "DELETE FROM idempotency_keys WHERE organisation_id = " + d.str(c->organisationId) +
                    " AND idem_key = " + d.str(c->key) + " AND expires_at <= " + d.num(c->nowSeconds), d);
        Params p;
        try {
            exec(s, "INSERT INTO idempotency_keys (organisation_id, idem_key, request_hash, resource_kind, resource_id,"
                    " status, response, location, created_at, expires_at)" +
                        values({p.str(c->organisationId), p.str(c->key), p.str(c->requestHash), p.str(kind), p.str(resourceId),
                                p.num(0), p.str(""), p.str(""), p.num(c->nowSeconds),
                                p.num(c->nowSeconds + kIdempotencyRetentionSeconds)}), p);
        } catch (...) {
            c->conflict = true;
            throw;
        }
        c->insertedInTxn = true;
        c->resourceKind = kind;
        c->resourceId = resourceId;
    }

    static void settleClaim(bool committed) {
        IdempotencyClaim* c = IdempotencyScope::current();
        if (!c || !c->insertedInTxn) return;
        c->insertedInTxn = false;
        if (committed) c->claimed = true;
        else { c->resourceKind.clear(); c->resourceId.clear(); }
    }

    static void step(PocoStore& store, const std::string& name) {
        FaultHook hook;
        {
            std::lock_guard<std::mutex> g(store._hookMutex);
            hook = store._hook;
        }
        if (hook) hook(name);
    }

    static std::vector<std::string> funders(Session& s, const std::string& actionId) {
        Params p;
        std::vector<std::string> ids;
        exec(s, "SELECT funder_id FROM action_funders WHERE action_id = " + p.str(actionId) + " ORDER BY funder_id", p,
             into(ids));
        return ids;
    }

    static Result<Document> document(Session& s, const std::string& id) {
        Params p;
        return selectOne<DocumentRow>(s, std::string(DOCUMENT_SELECT) + " WHERE d.id = " + p.str(id), p,
                                      Status::notFound("document_not_found", "Document introuvable : " + id),
                                      toDocument);
    }

    static Result<Dossier> dossier(Session& s, const std::string& id) {
        Params p;
        return selectOne<DossierRow>(s, std::string("SELECT ") + DOSSIER_COLUMNS + " FROM dossiers WHERE id = " + p.str(id),
                                     p, Status::notFound("dossier_not_found", "Dossier introuvable : " + id), toDossier);
    }

    static Action toAction(Session& s, const ActionRow& r) {
        return Action{r.get<0>(), r.get<1>(), r.get<2>(), funders(s, r.get<0>()), r.get<3>()};
    }

    static void insertRevision(PocoStore& store, Session& s, const std::string& documentId, std::int64_t number,
                               const Revision& r, const std::string& now) {
        step(store, "document.revision");
        {
            Params p;
            exec(s, "INSERT INTO revisions (document_id, revision, variant, form_version, input_json,"
                    " created_by_org, created_by_key, created_at)" +
                        values({p.str(documentId), p.num(number), p.str(r.variant), p.str(r.formVersion),
                                p.str(r.inputJson), p.str(r.createdByOrganisationId), p.str(r.createdByKeyId),
                                p.str(now)}), p);
        }
        for (const auto& a : r.artefacts) {
            step(store, "document.artefact");
            Params p;
            exec(s, "INSERT INTO artefacts (document_id, revision, format, content_type, sha256, size_bytes, bytes)" +
                        values({p.str(documentId), p.num(number), p.str(a.format), p.str(a.contentType), p.str(a.sha256),
                                p.num(static_cast<Int64>(a.bytes.size())), p.blob(a.bytes)}), p);
        }
    }

    static std::vector<Revision> revisions(Session& s, const std::string& documentId, std::int64_t only) {
        std::vector<RevisionRow> rows;
        std::vector<ArtefactRow> arts;
        {
            Params p;
            std::string sql = "SELECT revision, variant, form_version, input_json, created_by_org, created_by_key,"
                              " created_at FROM revisions WHERE document_id = " + p.str(documentId);
            if (only > 0) sql += " AND revision = " + p.num(only);
            rows = selectRows<RevisionRow>(s, sql + " ORDER BY revision", p);
        }
        {
            Params p;
            std::string sql = "SELECT revision, format, content_type, sha256, size_bytes FROM artefacts"
                              " WHERE document_id = " + p.str(documentId);
            if (only > 0) sql += " AND revision = " + p.num(only);
            arts = selectRows<ArtefactRow>(s, sql + " ORDER BY revision, format", p);
        }
        std::vector<Revision> out;
        for (const auto& r : rows) {
            Revision rev;
            rev.number = r.get<0>();
            rev.variant = r.get<1>();
            rev.formVersion = r.get<2>();
            rev.inputJson = r.get<3>();
            rev.createdByOrganisationId = r.get<4>();
            rev.createdByKeyId = r.get<5>();
            rev.createdAt = r.get<6>();
            for (const auto& a : arts) {
                if (a.get<0>() != rev.number) continue;
                rev.artefacts.push_back(artefactInfo(a.get<1>(), a.get<2>(), a.get<3>(), a.get<4>()));
            }
            out.push_back(std::move(rev));
        }
        return out;
    }
};

// ---------------------------------------------------------------------------
// Configuration.

Result<StoreConfig> parseDatabaseUrl(const std::string& url) {
    StoreConfig c;
    auto bad = [&](const std::string& why) {
        return Status::invalidArgument("bad_database_url", "Adresse de base de données invalide (« " + url + " ») : " + why +
                                                              ". Exemples : sqlite:/var/lib/passerelle/passerelle.db, "
                                                              "postgresql://passerelle@127.0.0.1:5432/passerelle");
    };
    if (url.rfind("sqlite:", 0) == 0) {
        std::string path = url.substr(7);
        if (path.rfind("//", 0) == 0) path = path.substr(2);
        if (path.empty()) return bad("chemin du fichier manquant");
        c.connector = "sqlite";
        c.connectionString = path;
        c.display = "SQLite " + path;
        return c;
    }
    if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
        Poco::URI uri;
        try {
            uri = Poco::URI(url);
        } catch (const Poco::Exception&) {
            return bad("adresse illisible");
        }
        std::string db = uri.getPath();
        if (!db.empty() && db[0] == '/') db = db.substr(1);
        if (db.empty()) return bad("nom de la base manquant");
        if (uri.getHost().empty()) return bad("serveur manquant");
        // libpq key=value form: Poco appends " connect_timeout=…", which a URI would not accept.
        auto quote = [](const std::string& v) {
            std::string q = "'";
            for (char ch : v) {
                if (ch == '\'' || ch == '\\') q.push_back('\\');
                q.push_back(ch);
            }
            return q + "'";
        };
        std::string user, password;
        const std::string& info = uri.getUserInfo(); // still percent-encoded
        std::size_t colon = info.find(':');
        Poco::URI::decode(colon == std::string::npos ? info : info.substr(0, colon), user);
        if (colon != std::string::npos) Poco::URI::decode(info.substr(colon + 1), password);
        std::string cs = "host=" + quote(uri.getHost());
        std::string port = uri.getPort() ? std::to_string(uri.getPort()) : "5432";
        cs += " port=" + port + " dbname=" + quote(db);
        if (!user.empty()) cs += " user=" + quote(user);
        if (!password.empty()) cs += " password=" + quote(password);
        // Poco splits this string on spaces: values must not contain any.
        for (const auto& [k, v] : uri.getQueryParameters()) {
            if (v.find(' ') != std::string::npos) return bad("espace dans la valeur de « " + k + " »");
            cs += " " + k + "=" + quote(v);
        }
        c.connector = "postgresql";
        c.connectionString = cs;
        c.display = "PostgreSQL " + uri.getHost() + ":" + port + "/" + db;
        return c;
    }
    return bad("préfixe attendu sqlite: ou postgresql://");
}

StoreConfig sqliteInDataDir(const std::string& dataDir) {
    StoreConfig c;
    c.connector = "sqlite";
    c.connectionString = Poco::Path(dataDir).append("passerelle.db").toString();
    c.display = "SQLite " + c.connectionString;
    return c;
}

int latestSchemaVersion() { return migrations().back().version; }

// ---------------------------------------------------------------------------
// Opening and migrations.

PocoStore::PocoStore(StoreConfig config) : _config(std::move(config)), _sqlite(_config.connector == "sqlite") {}

PocoStore::~PocoStore() {
    if (_pool) {
        try {
            _pool->shutdown();
        } catch (...) {
        }
    }
}

Result<std::shared_ptr<PocoStore>> PocoStore::open(const StoreConfig& config) {
    static std::once_flag registered;
    std::call_once(registered, [] {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::PostgreSQL::Connector::registerConnector();
    });
    if (config.connector != "sqlite" && config.connector != "postgresql")
        return Status::invalidArgument("bad_database_url", "Type de base inconnu : " + config.connector);
    std::shared_ptr<PocoStore> store(new PocoStore(config));
    if (store->_config.display.empty()) store->_config.display = config.connector;
    const Status missing = Status::notFound("database_missing", "Base de données introuvable (" + store->_config.display +
                                                                     ") : aucune donnée à vérifier.");
    if (config.mustExist && store->_sqlite && !Poco::File(config.connectionString).exists()) return missing;
    try {
        if (store->_sqlite) {
            Poco::Path parent = Poco::Path(config.connectionString).makeParent();
            if (!parent.toString().empty()) Poco::File(parent).createDirectories();
        }
        store->_pool = std::make_unique<Pool>(store->_config);
        store->_keyLookups = std::make_unique<KeyLookups>(store->_config);
        Session s(store->_pool->get());
        if (store->_sqlite) {
            // Persistent in the file: readers do not block the writer.
            std::string mode;
            s << "PRAGMA journal_mode = WAL", into(mode), now;
        } else if (config.mustExist) {
            Int64 tables = 0;
            s << "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'", into(tables), now;
            if (tables == 0) return missing;
        }
    } catch (const Poco::Exception& e) {
        Poco::Logger::get("passerelle.storage").error("open " + store->_config.display + " : " + e.displayText());
        return Status::internal("storage_unavailable", "Impossible d'ouvrir la base de données (" + store->_config.display +
                                                           ") : " + e.displayText());
    }
    Status st = store->migrate();
    if (!st.isOk()) return st;
    return store;
}

Status PocoStore::migrate() {
    auto r = Impl::write<int>(*this, "migrate", [&](Session& s) -> Result<int> {
        if (!_sqlite) {
            // Two instances starting together: the second waits here until the first has committed.
            Int64 locked = 0;
            s << "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(7305202611)) AS l", into(locked), now;
        }
        exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,"
                " applied_at TEXT NOT NULL)");
        Int64 current = 0;
        s << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(current), now;
        if (current > latestSchemaVersion())
            return Status::failedPrecondition(
                "schema_too_new", "La base de données est au schéma " + std::to_string(current) +
                                      ", plus récent que celui que connaît cette version de Passerelle (" +
                                      std::to_string(latestSchemaVersion()) + ") : mettez Passerelle à jour.");
        // Every migration not applied yet, in order — also one numbered below the newest applied
        // (branches developed side by side may land their migrations in any order).
        std::vector<Int64> appliedList;
        s << "SELECT version FROM schema_migrations", into(appliedList), now;
        const std::set<Int64> applied(appliedList.begin(), appliedList.end());
        for (const auto& m : migrations()) {
            if (applied.count(m.version)) continue;
            Impl::step(*this, "migration." + std::to_string(m.version));
            for (std::string sql : m.statements) {
                Poco::replaceInPlace(sql, std::string("{BLOB}"), std::string(_sqlite ? "BLOB" : "BYTEA"));
                exec(s, sql);
            }
            if (m.version == 4) backfillDossierIndex(s); // dossiers created before the search index
            if (m.version == 17) backfillTransmissionIndex(s); // copies received before the inbox index
            if (m.version == 18) backfillConsentShownSha256(s); // consents recorded before the column
            Params p;
            exec(s, "INSERT INTO schema_migrations (version, description, applied_at)" +
                        values({p.num(m.version), p.str(m.description), p.str(nowIso())}), p);
        }
        return static_cast<int>(current);
    });
    return r.status();
}

void PocoStore::setFaultHook(FaultHook hook) {
    std::lock_guard<std::mutex> g(_hookMutex);
    _hook = std::move(hook);
}

std::string PocoStore::describe() const { return _config.display; }

Result<int> PocoStore::schemaVersion() {
    return Impl::read<int>(*this, "schemaVersion", [&](Session& s) -> Result<int> {
        Int64 v = 0;
        s << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(v), now;
        return static_cast<int>(v);
    });
}

// ---------------------------------------------------------------------------
// Organisations and keys.

Result<Organisation> PocoStore::createOrganisation(const std::string& name, const std::string& kind) {
    if (!isOrganisationKind(kind))
        return Status::invalidArgument("bad_kind", "Type d'organisation inconnu : « " + kind +
                                                       " » (association, bailleur, financeur ou siao).");
    Organisation o{newId("org_"), name, kind, nowIso()};
    auto r = Impl::write<Organisation>(*this, "createOrganisation", [&](Session& s) -> Result<Organisation> {
        Params p;
        exec(s, "INSERT INTO organisations (id, name, kind, created_at)" +
                    values({p.str(o.id), p.str(o.name), p.str(o.kind), p.str(o.createdAt)}), p);
        return o;
    });
    if (!r.isOk() && r.status().errorCode() == "already_exists")
        return Status::failedPrecondition("organisation_exists", "Une organisation porte déjà le nom « " + name + " ».");
    return r;
}

Result<Organisation> PocoStore::findOrganisation(const std::string& id) {
    return Impl::read<Organisation>(*this, "findOrganisation", [&](Session& s) -> Result<Organisation> {
        Params p;
        return selectOne<OrgRow>(s, std::string("SELECT ") + ORG_COLUMNS + " FROM organisations WHERE id = " + p.str(id),
                                 p, Status::notFound("organisation_not_found", "Organisation introuvable : " + id),
                                 toOrganisation);
    });
}

Result<Organisation> PocoStore::findOrganisationByName(const std::string& name) {
    return Impl::read<Organisation>(*this, "findOrganisationByName", [&](Session& s) -> Result<Organisation> {
        Params p;
        return selectOne<OrgRow>(s, std::string("SELECT ") + ORG_COLUMNS + " FROM organisations WHERE name = " + p.str(name),
                                 p, Status::notFound("organisation_not_found", "Organisation introuvable : " + name),
                                 toOrganisation);
    });
}

Result<std::vector<Organisation>> PocoStore::listOrganisations() {
    using R = std::vector<Organisation>;
    return Impl::read<R>(*this, "listOrganisations", [&](Session& s) -> Result<R> {
        Params p;
        return mapRows(selectRows<OrgRow>(s, std::string("SELECT ") + ORG_COLUMNS + " FROM organisations ORDER BY name, id", p),
                       toOrganisation);
    });
}

Result<ApiKey> PocoStore::createApiKey(const std::string& organisationId, const std::string& name,
                                       const std::string& prefix, const std::string& secretHash) {
    ApiKey k{newId("key_"), organisationId, prefix, name, nowIso(), ""};
    return Impl::write<ApiKey>(*this, "createApiKey", [&](Session& s) -> Result<ApiKey> {
        Params p;
        exec(s, "INSERT INTO api_keys (id, organisation_id, prefix, secret_hash, name, created_at, revoked_at)" +
                    values({p.str(k.id), p.str(k.organisationId), p.str(k.prefix), p.str(secretHash), p.str(k.name),
                            p.str(k.createdAt), p.str("")}), p);
        return k;
    });
}

Result<KeyOwner> PocoStore::findKeyByHash(const std::string& secretHash) { return _keyLookups->find(secretHash); }

Result<std::vector<ApiKey>> PocoStore::listApiKeys(const std::string& organisationId) {
    using R = std::vector<ApiKey>;
    return Impl::read<R>(*this, "listApiKeys", [&](Session& s) -> Result<R> {
        Params p;
        return mapRows(selectRows<KeyRow>(s, std::string("SELECT ") + KEY_COLUMNS + " FROM api_keys k WHERE k.organisation_id = " +
                                                 p.str(organisationId) + " ORDER BY k.created_at, k.id", p),
                       toKey);
    });
}

Result<ApiKey> PocoStore::revokeApiKey(const std::string& idOrPrefix) {
    return Impl::write<ApiKey>(*this, "revokeApiKey", [&](Session& s) -> Result<ApiKey> {
        std::vector<KeyRow> rows;
        {
            Params p;
            std::string sql = std::string("SELECT ") + KEY_COLUMNS + " FROM api_keys k WHERE k.id = " + p.str(idOrPrefix);
            sql += " OR k.prefix = " + p.str(idOrPrefix);
            rows = selectRows<KeyRow>(s, sql, p);
        }
        if (rows.empty()) return Status::notFound("key_not_found", "Aucune clé ne correspond à « " + idOrPrefix + " ».");
        if (rows.size() > 1)
            return Status::invalidArgument("key_ambiguous", "Plusieurs clés commencent par « " + idOrPrefix +
                                                                " » : donnez l'identifiant (key_…).");
        ApiKey k = toKey(rows.front());
        if (!k.revokedAt.empty()) return k;
        k.revokedAt = nowIso();
        Params p;
        exec(s, "UPDATE api_keys SET revoked_at = " + p.str(k.revokedAt) + " WHERE id = " + p.str(k.id), p);
        return k;
    });
}

// ---------------------------------------------------------------------------
// Partnerships and actions.

Result<Partnership> PocoStore::createPartnership(const std::string& associationId, const std::string& bailleurId,
                                                 const std::string& siaoId) {
    Partnership pr{newId("prt_"), associationId, bailleurId, nowIso(), siaoId};
    auto r = Impl::write<Partnership>(*this, "createPartnership", [&](Session& s) -> Result<Partnership> {
        Params p;
        exec(s, std::string("INSERT INTO partnerships (") + PARTNERSHIP_COLUMNS + ")" +
                    values({p.str(pr.id), p.str(pr.associationId), p.str(pr.bailleurId), p.str(pr.createdAt),
                            p.str(pr.siaoId)}), p);
        return pr;
    });
    if (!r.isOk() && r.status().errorCode() == "already_exists")
        return Status::failedPrecondition("partnership_exists", "Ce partenariat existe déjà.");
    return r;
}

Result<std::vector<Partnership>> PocoStore::listPartnerships(const std::string& organisationId) {
    using R = std::vector<Partnership>;
    return Impl::read<R>(*this, "listPartnerships", [&](Session& s) -> Result<R> {
        Params p;
        std::string sql = std::string("SELECT ") + PARTNERSHIP_COLUMNS + " FROM partnerships";
        if (!organisationId.empty())
            sql += " WHERE association_id = " + p.str(organisationId) + " OR bailleur_id = " + p.str(organisationId) +
                   " OR siao_id = " + p.str(organisationId);
        return mapRows(selectRows<PartnershipRow>(s, sql + " ORDER BY created_at, id", p), toPartnership);
    });
}

namespace {
Result<Partnership> partnershipIn(Session& s, const std::string& associationId, const std::string& bailleurId) {
    Params p;
    std::string sql = std::string("SELECT ") + PARTNERSHIP_COLUMNS + " FROM partnerships WHERE association_id = " +
                      p.str(associationId) + " AND bailleur_id = " + p.str(bailleurId);
    return selectOne<PartnershipRow>(
        s, sql, p, Status::notFound("partnership_not_found", "Aucun partenariat entre ces deux organisations."),
        toPartnership);
}
} // namespace

Result<Partnership> PocoStore::findPartnership(const std::string& associationId, const std::string& bailleurId) {
    return Impl::read<Partnership>(*this, "findPartnership",
                                   [&](Session& s) { return partnershipIn(s, associationId, bailleurId); });
}

Result<Partnership> PocoStore::setPartnershipSiao(const std::string& associationId, const std::string& bailleurId,
                                                  const std::string& siaoId) {
    return Impl::write<Partnership>(*this, "setPartnershipSiao", [&](Session& s) -> Result<Partnership> {
        Params p;
        std::size_t n = exec(s, "UPDATE partnerships SET siao_id = " + p.str(siaoId) + " WHERE association_id = " +
                                    p.str(associationId) + " AND bailleur_id = " + p.str(bailleurId), p);
        if (n == 0) return Status::notFound("partnership_not_found", "Aucun partenariat entre ces deux organisations.");
        return partnershipIn(s, associationId, bailleurId);
    });
}

Result<Action> PocoStore::createAction(const std::string& title, const std::string& associationId,
                                       const std::vector<std::string>& funderIds) {
    Action a{newId("act_"), title, associationId, funderIds, nowIso()};
    std::sort(a.funderIds.begin(), a.funderIds.end());
    a.funderIds.erase(std::unique(a.funderIds.begin(), a.funderIds.end()), a.funderIds.end());
    return Impl::write<Action>(*this, "createAction", [&](Session& s) -> Result<Action> {
        Impl::step(*this, "action.insert");
        {
            Params p;
            exec(s, "INSERT INTO actions (id, title, association_id, created_at)" +
                        values({p.str(a.id), p.str(a.title), p.str(a.associationId), p.str(a.createdAt)}), p);
        }
        for (const auto& f : a.funderIds) {
            Impl::step(*this, "action.funder");
            Params p;
            exec(s, "INSERT INTO action_funders (action_id, funder_id)" + values({p.str(a.id), p.str(f)}), p);
        }
        return a;
    });
}

Result<Action> PocoStore::findAction(const std::string& id) {
    return Impl::read<Action>(*this, "findAction", [&](Session& s) -> Result<Action> {
        Params p;
        return selectOne<ActionRow>(s, std::string("SELECT ") + ACTION_COLUMNS + " FROM actions a WHERE a.id = " + p.str(id),
                                    p, Status::notFound("action_not_found", "Action introuvable : " + id),
                                    [&](const ActionRow& r) { return Impl::toAction(s, r); });
    });
}

Result<std::vector<Action>> PocoStore::listActions(const std::string& associationId, const std::string& funderId) {
    using R = std::vector<Action>;
    return Impl::read<R>(*this, "listActions", [&](Session& s) -> Result<R> {
        Params p;
        std::string sql = std::string("SELECT ") + ACTION_COLUMNS + " FROM actions a WHERE ";
        if (!associationId.empty()) sql += "a.association_id = " + p.str(associationId);
        else if (!funderId.empty())
            sql += "a.id IN (SELECT action_id FROM action_funders WHERE funder_id = " + p.str(funderId) + ")";
        else sql += "1 = 0";
        return mapRows(selectRows<ActionRow>(s, sql + " ORDER BY a.created_at, a.id", p),
                       [&](const ActionRow& r) { return Impl::toAction(s, r); });
    });
}

// ---------------------------------------------------------------------------
// Dossiers.

Result<Dossier> PocoStore::createDossier(const Dossier& dossier) {
    Dossier d = dossier;
    d.id = newId("dos_");
    d.version = 1;
    d.createdAt = d.updatedAt = nowIso();
    d.closedAt = d.statut == "clos" ? d.createdAt : "";
    d.archivedAt = d.erasedAt = "";
    return Impl::write<Dossier>(*this, "createDossier", [&](Session& s) -> Result<Dossier> {
        Impl::claimIdempotency(*this, s, "dossier", d.id);
        Impl::step(*this, "dossier.insert");
        Params p;
        exec(s, std::string("INSERT INTO dossiers (") + DOSSIER_COLUMNS + ")" +
                    values({p.str(d.id), p.str(d.associationId), p.str(d.reference), p.str(d.statut), p.str(d.menageJson),
                            p.str(d.logementJson), p.num(d.version), p.str(d.createdAt), p.str(d.updatedAt),
                            p.str(d.closedAt), p.str(d.archivedAt), p.str(d.erasedAt)}), p);
        indexDossierIn(s, d); // search text (migration 4, DossierIndex.cpp)
        Impl::step(*this, "dossier.committed");
        return d;
    });
}

Result<Dossier> PocoStore::findDossier(const std::string& id) {
    return Impl::read<Dossier>(*this, "findDossier", [&](Session& s) { return Impl::dossier(s, id); });
}

Result<Page<Dossier>> PocoStore::listDossiers(const DossierQuery& q) {
    using R = Page<Dossier>;
    return Impl::read<R>(*this, "listDossiers", [&](Session& s) -> Result<R> {
        // Same WHERE clause for the count and the page.
        auto where = [&](Params& p) {
            std::string w = " WHERE association_id = " + p.str(q.associationId);
            if (!q.statut.empty()) w += " AND statut = " + p.str(q.statut);
            if (!q.reference.empty()) w += " AND reference = " + p.str(q.reference);
            return w;
        };
        return selectPage<DossierRow>(s, "dossiers", std::string("SELECT ") + DOSSIER_COLUMNS + " FROM dossiers", where,
                                      "created_at DESC, id DESC", q.limit, q.offset, toDossier);
    });
}

namespace {
void appendAuditIn(PocoStore& store, Session& s, bool sqlite, const AuditEvent& e);
} // namespace

Result<Dossier> PocoStore::setDossierClosed(const std::string& id, bool closed, const AuditEvent& audit) {
    return Impl::write<Dossier>(*this, closed ? "closeDossier" : "reopenDossier", [&](Session& s) -> Result<Dossier> {
        Impl::step(*this, closed ? "dossier.close" : "dossier.reopen");
        auto before = Impl::dossier(s, id);
        if (!before.isOk()) return before.status();
        if (!before.value().archivedAt.empty())
            return Status::failedPrecondition("dossier_archived", closed ? "Ce dossier est archivé : il est déjà clos."
                                                                         : "Ce dossier est archivé : il ne peut plus être rouvert.");
        const bool isClosed = before.value().statut == "clos";
        if (closed && isClosed) return Status::failedPrecondition("dossier_already_closed", "Ce dossier est déjà clos.");
        if (!closed && !isClosed) return Status::failedPrecondition("dossier_not_closed", "Ce dossier n’est pas clos.");
        const std::string now = nowIso();
        {
            Params p;
            std::string sql = "UPDATE dossiers SET statut = " + p.str(closed ? "clos" : "ouvert");
            sql += ", closed_at = " + p.str(closed ? now : std::string());
            sql += ", version = version + 1, updated_at = " + p.str(now);
            sql += " WHERE id = " + p.str(id) + " AND version = " + p.num(before.value().version);
            if (exec(s, sql, p) == 0)
                return Status::failedPrecondition("dossier_conflict",
                                                  "Le dossier a été modifié entre-temps : relisez-le puis recommencez.");
        }
        AuditEvent a = audit;
        if (a.subject.empty()) a.subject = id;
        appendAuditIn(*this, s, _sqlite, a);
        auto updated = Impl::dossier(s, id);
        if (updated.isOk()) indexDossierIn(s, updated.value()); // search text (migration 4, DossierIndex.cpp)
        return updated;
    });
}

Result<Dossier> PocoStore::updateDossier(const Dossier& dossier) {
    return Impl::write<Dossier>(*this, "updateDossier", [&](Session& s) -> Result<Dossier> {
        Impl::step(*this, "dossier.update");
        std::size_t n;
        {
            // The closing date (retention, migration 16): kept while the dossier stays closed.
            auto before = Impl::dossier(s, dossier.id);
            if (!before.isOk()) return before.status();
            if (!before.value().archivedAt.empty())
                return Status::failedPrecondition("dossier_archived",
                                                  "Ce dossier est archivé : il ne peut plus être modifié.");
            const std::string now = nowIso();
            const std::string closedAt =
                dossier.statut != "clos" ? "" : before.value().closedAt.empty() ? now : before.value().closedAt;
            Params p;
            std::string sql = "UPDATE dossiers SET reference = " + p.str(dossier.reference);
            sql += ", statut = " + p.str(dossier.statut);
            sql += ", menage_json = " + p.str(dossier.menageJson);
            sql += ", logement_json = " + p.str(dossier.logementJson);
            sql += ", version = version + 1, updated_at = " + p.str(now);
            sql += ", closed_at = " + p.str(closedAt);
            sql += " WHERE id = " + p.str(dossier.id);
            sql += " AND version = " + p.num(dossier.version);
            n = exec(s, sql, p);
        }
        if (n == 0) {
            auto current = Impl::dossier(s, dossier.id);
            if (!current.isOk()) return current.status();
            return Status::failedPrecondition("dossier_conflict",
                                              "Le dossier a été modifié entre-temps : relisez-le puis recommencez.");
        }
        auto updated = Impl::dossier(s, dossier.id);
        if (updated.isOk()) indexDossierIn(s, updated.value()); // search text (migration 4, DossierIndex.cpp)
        return updated;
    });
}

// ---------------------------------------------------------------------------
// Documents.

Result<Document> PocoStore::createDocument(const Document& document, const Revision& first) {
    Document d = document;
    if (d.id.empty()) d.id = newId("doc_");
    d.currentRevision = 1;
    d.variant = first.variant;
    d.formVersion = first.formVersion;
    d.createdAt = d.updatedAt = nowIso();
    return Impl::write<Document>(*this, "createDocument", [&](Session& s) -> Result<Document> {
        Impl::claimIdempotency(*this, s, "document", d.id);
        Impl::step(*this, "document.insert");
        {
            Params p;
            exec(s, "INSERT INTO documents (id, form, dossier_id, action_id, owner_id, current_revision,"
                    " created_by_org, created_by_key, created_at, updated_at)" +
                        values({p.str(d.id), p.str(d.form), "NULLIF(" + p.str(d.dossierId) + ", '')",
                                "NULLIF(" + p.str(d.actionId) + ", '')", p.str(d.ownerOrganisationId),
                                p.num(d.currentRevision), p.str(d.createdByOrganisationId), p.str(d.createdByKeyId),
                                p.str(d.createdAt), p.str(d.updatedAt)}), p);
        }
        Impl::insertRevision(*this, s, d.id, 1, first, d.createdAt);
        Impl::step(*this, "document.committed");
        return d;
    });
}

Result<Document> PocoStore::findDocument(const std::string& id) {
    return Impl::read<Document>(*this, "findDocument", [&](Session& s) { return Impl::document(s, id); });
}

Result<Page<Document>> PocoStore::listDocuments(const DocumentQuery& q) {
    using R = Page<Document>;
    if (q.restrictForms && q.forms.empty()) return R{};
    return Impl::read<R>(*this, "listDocuments", [&](Session& s) -> Result<R> {
        auto where = [&](Params& p) {
            std::string w = " WHERE 1 = 1";
            if (!q.ownerOrganisationId.empty()) w += " AND d.owner_id = " + p.str(q.ownerOrganisationId);
            if (!q.dossierId.empty()) w += " AND d.dossier_id = " + p.str(q.dossierId);
            if (!q.actionId.empty()) w += " AND d.action_id = " + p.str(q.actionId);
            if (!q.fundedBy.empty())
                w += " AND d.action_id IN (SELECT action_id FROM action_funders WHERE funder_id = " +
                     p.str(q.fundedBy) + ")";
            if (!q.forms.empty()) {
                w += " AND d.form IN (";
                for (std::size_t i = 0; i < q.forms.size(); ++i) w += (i ? ", " : "") + p.str(q.forms[i]);
                w += ")";
            }
            return w;
        };
        return selectPage<DocumentRow>(s, "documents d", DOCUMENT_SELECT, where, "d.created_at DESC, d.id DESC", q.limit,
                                       q.offset, toDocument);
    });
}

Result<Document> PocoStore::addRevision(const std::string& documentId, std::int64_t expectedRevision,
                                        const Revision& revision) {
    return Impl::write<Document>(*this, "addRevision", [&](Session& s) -> Result<Document> {
        Impl::claimIdempotency(*this, s, "revision", documentId);
        const std::string now = nowIso();
        const std::int64_t next = expectedRevision + 1;
        Impl::step(*this, "document.bump");
        std::size_t n;
        {
            // The UPDATE comes first: on PostgreSQL it locks the row, so concurrent revisers queue here.
            Params p;
            std::string sql = "UPDATE documents SET current_revision = " + p.num(next);
            sql += ", updated_at = " + p.str(now);
            sql += " WHERE id = " + p.str(documentId);
            sql += " AND current_revision = " + p.num(expectedRevision);
            n = exec(s, sql, p);
        }
        if (n == 0) {
            auto current = Impl::document(s, documentId);
            if (!current.isOk()) return current.status();
            return Status::failedPrecondition("revision_conflict",
                                              "Une autre révision a été enregistrée entre-temps : relisez le document.");
        }
        Impl::insertRevision(*this, s, documentId, next, revision, now);
        Impl::step(*this, "document.committed");
        return Impl::document(s, documentId);
    });
}

Result<Revision> PocoStore::findRevision(const std::string& documentId, std::int64_t number) {
    return Impl::read<Revision>(*this, "findRevision", [&](Session& s) -> Result<Revision> {
        if (number <= 0) return Status::notFound("revision_not_found", "Révision introuvable.");
        auto revs = Impl::revisions(s, documentId, number);
        if (revs.empty())
            return Status::notFound("revision_not_found", "Révision " + std::to_string(number) + " introuvable.");
        return revs.front();
    });
}

Result<std::vector<Revision>> PocoStore::listRevisions(const std::string& documentId) {
    using R = std::vector<Revision>;
    return Impl::read<R>(*this, "listRevisions", [&](Session& s) -> Result<R> { return Impl::revisions(s, documentId, 0); });
}

Result<Artefact> PocoStore::fetchArtefact(const std::string& documentId, std::int64_t revision,
                                          const std::string& format) {
    return Impl::read<Artefact>(*this, "fetchArtefact", [&](Session& s) -> Result<Artefact> {
        Params p;
        std::string sql = "SELECT content_type, sha256, size_bytes, bytes FROM artefacts WHERE document_id = " +
                          p.str(documentId);
        sql += " AND revision = " + p.num(revision);
        sql += " AND format = " + p.str(format);
        return selectOne<ArtefactBytesRow>(
            s, sql, p, Status::notFound("rendition_not_found", "Ce document n'existe pas au format « " + format + " »."),
            [&](const ArtefactBytesRow& r) { return toArtefactWithBytes(format, r); });
    });
}

} // namespace passerelle::storage

// ---------------------------------------------------------------------------
// Consent, transmissions, audit trail, webhooks and outbox (migration 2).

namespace passerelle::storage {

namespace {

// Lists of codes (form ids, categories: [a-z0-9-]) are stored space-separated.
std::string joinCodes(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
}
std::vector<std::string> splitCodes(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
        if (c == ' ') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

const char* CONSENT_SELECT =
    "SELECT id, dossier_id, kind, given_by, capacity, recipient_id, document_kinds, categories, purpose, given_at,"
    " how, proof_document_id, proof_sha256, recorded_by, COALESCE(expires_at, -1), COALESCE(withdrawn_at, -1),"
    " supersedes, created_by_org, created_by_key, created_at FROM consents";
using ConsentRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                               std::string, std::string, Int64, std::string, std::string, std::string, std::string,
                               Int64, Int64, std::string, std::string, std::string, std::string>;
StoredConsent toConsent(const ConsentRow& r) {
    StoredConsent c;
    c.id = r.get<0>();
    c.dossierId = r.get<1>();
    c.kind = r.get<2>();
    c.givenByName = r.get<3>();
    c.givenByCapacity = r.get<4>();
    c.recipientOrgId = r.get<5>();
    c.documentKinds = splitCodes(r.get<6>());
    c.categories = splitCodes(r.get<7>());
    c.purpose = r.get<8>();
    c.givenAt = r.get<9>();
    c.howMethod = r.get<10>();
    c.proofDocumentId = r.get<11>();
    c.proofSha256 = r.get<12>();
    c.recordedBy = r.get<13>();
    if (r.get<14>() >= 0) c.expiresAt = r.get<14>();
    if (r.get<15>() >= 0) c.withdrawnAt = r.get<15>();
    c.supersedes = r.get<16>();
    c.createdByOrganisationId = r.get<17>();
    c.createdByKeyId = r.get<18>();
    c.createdAt = r.get<19>();
    return c;
}

// copie_siao (migration 3) and shown_sha256 (migration 18) are read apart: a Poco::Tuple holds 20 columns at most.
void readCopieSiao(Session& s, const std::string& where, Params& p, std::vector<StoredConsent>& out) {
    std::vector<std::string> ids;
    exec(s, "SELECT id FROM consents WHERE copie_siao = 1 AND " + where, p, into(ids));
    for (auto& c : out) c.copieSiao = std::find(ids.begin(), ids.end(), c.id) != ids.end();
}
// `column` = `value`: "id" or "dossier_id".
void readShownSha256(Session& s, const std::string& column, const std::string& value, std::vector<StoredConsent>& out) {
    std::vector<std::string> ids, shown;
    Params p;
    exec(s, "SELECT id, shown_sha256 FROM consents WHERE shown_sha256 <> '' AND " + column + " = " + p.str(value), p, into(ids),
         into(shown));
    for (auto& c : out)
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (ids[i] == c.id) c.shownSha256 = shown[i];
}

// Migration 18: consents recorded before the column, from their consent.given audit entry
// (TransmissionService wrote "shownSha256" in its details). The audit entry itself is not touched.
void backfillConsentShownSha256(Session& s) {
    std::vector<std::string> subjects, details;
    {
        Params p;
        exec(s, "SELECT subject, details FROM audit_log WHERE event = 'consent.given' ORDER BY seq", p, into(subjects), into(details));
    }
    for (std::size_t i = 0; i < subjects.size(); ++i) {
        std::string shown;
        try {
            auto d = Poco::JSON::Parser().parse(details[i]).extract<Poco::JSON::Object::Ptr>();
            if (d && d->has("shownSha256") && d->get("shownSha256").isString()) shown = d->getValue<std::string>("shownSha256");
        } catch (const std::exception&) {
            continue; // details that are not JSON: nothing to take
        }
        if (shown.size() != 64 || shown.find_first_not_of("0123456789abcdef") != std::string::npos) continue;
        Params p;
        exec(s, "UPDATE consents SET shown_sha256 = " + p.str(shown) + " WHERE id = " + p.str(subjects[i]) + " AND shown_sha256 = ''",
             p);
    }
}

const char* TRANSMISSION_SELECT =
    "SELECT id, document_id, revision, dossier_id, form, sender_id, recipient_id, allowed, decision, consent_id,"
    " excluded_json, permitted_json, created_by_key, created_at, copy_of FROM transmissions";
using TransmissionRow = Poco::Tuple<std::string, std::string, Int64, std::string, std::string, std::string, std::string,
                                    Int64, std::string, std::string, std::string, std::string, std::string, std::string,
                                    std::string>;
Transmission toTransmission(const TransmissionRow& r) {
    Transmission t;
    t.id = r.get<0>();
    t.documentId = r.get<1>();
    t.revision = r.get<2>();
    t.dossierId = r.get<3>();
    t.form = r.get<4>();
    t.senderOrgId = r.get<5>();
    t.recipientOrgId = r.get<6>();
    t.allowed = r.get<7>() != 0;
    t.decisionCode = r.get<8>();
    t.consentId = r.get<9>();
    t.excludedJson = r.get<10>();
    t.permittedJson = r.get<11>();
    t.createdByKeyId = r.get<12>();
    t.createdAt = r.get<13>();
    t.copyOf = r.get<14>();
    return t;
}

using AuditRow = Poco::Tuple<Int64, std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                             std::string>;
const char* AUDIT_SELECT = "SELECT seq, at, event, actor, subject, details, prev_hash, hash, key_id FROM audit_log";
audit::AuditEntry toAudit(const AuditRow& r) {
    return {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(), r.get<6>(), r.get<7>(), r.get<8>()};
}

// Appends one event to the chain inside the caller's transaction. PostgreSQL:
// the table lock (self-conflicting EXCLUSIVE mode, held until commit) makes
// every other instance wait here, so each append reads the true last entry.
// SQLite: the caller holds the process write mutex and the database's write lock.
void appendAuditIn(PocoStore& store, Session& s, bool sqlite, const AuditEvent& e) {
    PocoStore::Impl::step(store, "audit.append");
    if (!sqlite) exec(s, "LOCK TABLE audit_log IN EXCLUSIVE MODE");
    // SQLite: a write before the read takes the database's write lock now (waiting
    // under busy_timeout), so another process cannot commit between our read of
    // the last entry and our insert (which SQLite would fail with BUSY_SNAPSHOT).
    else exec(s, "DELETE FROM audit_log WHERE seq < 0");
    std::vector<AuditRow> rows;
    {
        Params p;
        rows = selectRows<AuditRow>(s, std::string(AUDIT_SELECT) + " ORDER BY seq DESC LIMIT 1", p);
    }
    std::optional<audit::AuditEntry> last;
    if (!rows.empty()) last = toAudit(rows.front());
    audit::AuditEntry next;
    next.at = nowIso();
    next.event = e.event;
    next.actor = e.actor;
    next.subject = e.subject;
    next.details = e.details.empty() ? "{}" : e.details;
    static const audit::AuditKeyring unkeyed;
    audit::chain(last, next, store.auditKeys() ? *store.auditKeys() : unkeyed);
    Params p;
    exec(s, "INSERT INTO audit_log (seq, at, event, actor, subject, details, prev_hash, hash, key_id)" +
                values({p.num(next.seq), p.str(next.at), p.str(next.event), p.str(next.actor), p.str(next.subject),
                        p.str(next.details), p.str(next.prevHash), p.str(next.hash), p.str(next.keyId)}), p);
}

Result<StoredConsent> consentIn(Session& s, const std::string& id) {
    Params p;
    auto found = selectOne<ConsentRow>(s, std::string(CONSENT_SELECT) + " WHERE id = " + p.str(id), p,
                                       Status::notFound("consent_not_found", "Consentement introuvable : " + id), toConsent);
    if (!found.isOk()) return found;
    std::vector<StoredConsent> out{found.take()};
    Params q;
    readCopieSiao(s, "id = " + q.str(id), q, out);
    readShownSha256(s, "id", id, out);
    return out.front();
}

std::vector<Artefact> transmissionArtefacts(Session& s, const std::string& id) {
    using Row = Poco::Tuple<std::string, std::string, std::string, Int64>;
    Params p;
    std::string sql = "SELECT format, content_type, sha256, size_bytes FROM transmission_artefacts WHERE transmission_id = " +
                      p.str(id) + " ORDER BY format";
    return mapRows(selectRows<Row>(s, sql, p),
                   [](const Row& r) { return artefactInfo(r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>()); });
}

Transmission transmissionWithArtefacts(Session& s, const TransmissionRow& r) {
    Transmission t = toTransmission(r);
    t.artefacts = transmissionArtefacts(s, t.id);
    return t;
}

using OutboxStatusRow =
    Poco::Tuple<std::string, std::string, Int64, Int64, Int64, std::string, std::string, Int64, Int64, Int64, std::string>;
const char* OUTBOX_STATUS_SELECT =
    "SELECT id, transmission_id, attempts, COALESCE(delivered_at, -1), dead, last_error, recipient_id,"
    " next_attempt_at, http_status, COALESCE(cancelled_at, -1), cancel_reason FROM outbox";
OutboxStatus toOutboxStatus(const OutboxStatusRow& r) {
    OutboxStatus o;
    o.id = r.get<0>();
    o.transmissionId = r.get<1>();
    o.attempts = static_cast<int>(r.get<2>());
    o.delivered = r.get<3>() >= 0;
    o.dead = r.get<4>() != 0;
    o.lastError = r.get<5>();
    o.recipientOrgId = r.get<6>();
    if (r.get<3>() >= 0) o.deliveredAtMs = r.get<3>();
    o.nextAttemptAtMs = r.get<7>();
    o.httpStatus = static_cast<int>(r.get<8>());
    if (r.get<9>() >= 0) {
        o.cancelled = true;
        o.cancelledAtMs = r.get<9>();
        o.cancelReason = r.get<10>();
    }
    return o;
}

} // namespace

Result<StoredConsent> PocoStore::recordConsent(const StoredConsent& consent, const AuditEvent& audit) {
    StoredConsent c = consent;
    if (c.id.empty()) c.id = newId("cns_");
    c.createdAt = nowIso();
    c.withdrawnAt.reset();
    return Impl::write<StoredConsent>(*this, "recordConsent", [&](Session& s) -> Result<StoredConsent> {
        Impl::claimIdempotency(*this, s, "consent", c.id);
        if (!_sqlite) {
            // A new record supersedes: it waits for a push being delivered under the dossier's
            // records (leaseForSend holds them FOR SHARE, briefly) and is ordered after it.
            std::vector<std::string> ids;
            Params p;
            exec(s, "SELECT id FROM consents WHERE dossier_id = " + p.str(c.dossierId) + " FOR UPDATE", p, into(ids));
        }
        Impl::step(*this, "consent.insert");
        {
            Params p;
            exec(s, "INSERT INTO consents (id, dossier_id, kind, given_by, capacity, recipient_id,"
                    " document_kinds, categories, purpose, given_at, how, proof_document_id, proof_sha256,"
                    " recorded_by, expires_at, withdrawn_at, supersedes, created_by_org, created_by_key,"
                    " created_at, copie_siao, shown_sha256)" +
                        values({p.str(c.id), p.str(c.dossierId), p.str(c.kind), p.str(c.givenByName),
                                p.str(c.givenByCapacity), p.str(c.recipientOrgId), p.str(joinCodes(c.documentKinds)),
                                p.str(joinCodes(c.categories)), p.str(c.purpose), p.num(c.givenAt), p.str(c.howMethod),
                                p.str(c.proofDocumentId), p.str(c.proofSha256), p.str(c.recordedBy),
                                c.expiresAt ? p.num(*c.expiresAt) : std::string("NULL"), "NULL", p.str(c.supersedes),
                                p.str(c.createdByOrganisationId), p.str(c.createdByKeyId), p.str(c.createdAt),
                                p.num(c.copieSiao ? 1 : 0), p.str(c.shownSha256)}), p);
        }
        AuditEvent a = audit;
        if (a.subject.empty()) a.subject = c.id;
        appendAuditIn(*this, s, _sqlite, a);
        return c;
    });
}

Result<StoredConsent> PocoStore::findConsent(const std::string& id) {
    return Impl::read<StoredConsent>(*this, "findConsent", [&](Session& s) { return consentIn(s, id); });
}

Result<std::vector<StoredConsent>> PocoStore::listConsents(const std::string& dossierId) {
    using R = std::vector<StoredConsent>;
    return Impl::read<R>(*this, "listConsents", [&](Session& s) -> Result<R> {
        Params p;
        R out = mapRows(selectRows<ConsentRow>(s, std::string(CONSENT_SELECT) + " WHERE dossier_id = " + p.str(dossierId) +
                                                      " ORDER BY given_at, created_at, id", p),
                        toConsent);
        Params q;
        readCopieSiao(s, "dossier_id = " + q.str(dossierId), q, out);
        readShownSha256(s, "dossier_id", dossierId, out);
        return out;
    });
}

namespace {
void cancelIn(PocoStore& store, Session& s, bool sqlite, const std::string& id, std::int64_t atMs,
              const std::string& reason, const std::string& details);
std::string cancelDetailsJson(const std::string& transmission, const std::string& recipient, const std::string& consent,
                              const std::string& reason, std::int64_t atSeconds);
} // namespace

// The withdrawal also cancels, in its own transaction, every push of the consent still queued (a first
// attempt or a retry): "delivery.cancelled", reason "withdrawn". A push leased at this moment
// (lease_owner set: past the gate, being sent) is left to its worker: delivered, it is recorded as
// such (the window of docs/consent.md); failed, recordOutcome cancels it.
Result<StoredConsent> PocoStore::withdrawConsent(const std::string& id, std::int64_t at, const AuditEvent& audit) {
    return Impl::write<StoredConsent>(*this, "withdrawConsent", [&](Session& s) -> Result<StoredConsent> {
        const std::string pending = " FROM outbox o JOIN transmissions t ON t.id = o.transmission_id WHERE t.consent_id = ";
        const std::string open = " AND o.delivered_at IS NULL AND o.dead = 0 AND o.cancelled_at IS NULL";
        if (!_sqlite) {
            // The pushes' rows first, as leaseForSend and recordOutcome take them (then the consents): no deadlock.
            Impl::step(*this, "consent.withdraw.lock_outbox");
            std::vector<std::string> ids;
            Params p;
            exec(s, "SELECT o.id" + pending + p.str(id) + open + " FOR UPDATE OF o", p, into(ids));
        }
        Impl::step(*this, "consent.withdraw");
        std::size_t n;
        {
            // The one UPDATE a consent row ever gets; on PostgreSQL it waits for a
            // transmission holding the row (FOR UPDATE) and is ordered after it.
            Params p;
            std::string sql = "UPDATE consents SET withdrawn_at = " + p.num(at);
            sql += " WHERE id = " + p.str(id) + " AND withdrawn_at IS NULL";
            n = exec(s, sql, p);
        }
        auto c = consentIn(s, id);
        if (!c.isOk()) return c.status();
        if (n == 0)
            return Status::failedPrecondition("already_withdrawn", "Ce consentement a déjà été retiré.");
        appendAuditIn(*this, s, _sqlite, audit);
        Impl::step(*this, "consent.withdraw.cancel_pushes");
        using Row = Poco::Tuple<std::string, std::string, std::string>;
        std::vector<Row> queued;
        {
            Params p;
            queued = selectRows<Row>(s, "SELECT o.id, o.transmission_id, o.recipient_id" + pending + p.str(id) + open +
                                            " AND o.lease_owner = '' ORDER BY o.id", p);
        }
        for (const auto& q : queued)
            cancelIn(*this, s, _sqlite, q.get<0>(), at * 1000, "withdrawn",
                     cancelDetailsJson(q.get<1>(), q.get<2>(), id, "withdrawn", at));
        return c;
    });
}

namespace {
// One transmission row, its artefacts and its outbox message, inside the caller's transaction.
void insertTransmissionIn(PocoStore& store, Session& s, const Transmission& t,
                          const std::optional<delivery::OutboxMessage>& outbox) {
    PocoStore::Impl::step(store, "transmission.insert");
    {
        Params p;
        exec(s, "INSERT INTO transmissions (id, document_id, revision, dossier_id, form, sender_id,"
                " recipient_id, allowed, decision, consent_id, excluded_json, permitted_json,"
                " created_by_key, created_at, copy_of)" +
                    values({p.str(t.id), p.str(t.documentId), p.num(t.revision), p.str(t.dossierId), p.str(t.form),
                            p.str(t.senderOrgId), p.str(t.recipientOrgId), p.num(t.allowed ? 1 : 0),
                            p.str(t.decisionCode), p.str(t.consentId), p.str(t.excludedJson), p.str(t.permittedJson),
                            p.str(t.createdByKeyId), p.str(t.createdAt), p.str(t.copyOf)}), p);
    }
    for (const auto& a : t.artefacts) {
        PocoStore::Impl::step(store, "transmission.artefact");
        Params p;
        exec(s, "INSERT INTO transmission_artefacts (transmission_id, format, content_type, sha256, size_bytes, bytes)" +
                    values({p.str(t.id), p.str(a.format), p.str(a.contentType), p.str(a.sha256),
                            p.num(static_cast<Int64>(a.bytes.size())), p.blob(a.bytes)}), p);
    }
    if (t.allowed) indexTransmissionIn(s, t);
    if (outbox) {
        PocoStore::Impl::step(store, "transmission.outbox");
        const delivery::OutboxMessage& m = *outbox;
        Params p;
        exec(s, "INSERT INTO outbox (id, transmission_id, recipient_id, url, body, attempts, next_attempt_at,"
                " lease_until, delivered_at, http_status, dead, last_error, created_at)" +
                    values({p.str(m.id.empty() ? newId("msg_") : m.id), p.str(t.id), p.str(m.recipientOrgId),
                            p.str(m.url), p.str(m.body), p.num(0), p.num(m.nextAttemptAt), p.num(0), "NULL", p.num(0),
                            p.num(0), p.str(""), p.str(t.createdAt)}), p);
    }
}
} // namespace

Result<Transmission> PocoStore::recordTransmission(const Transmission& transmission, const AuditEvent& audit,
                                                   const std::optional<ConsentGuard>& guard,
                                                   const std::optional<delivery::OutboxMessage>& outbox,
                                                   const std::vector<TransmissionCopy>& copies) {
    Transmission t = transmission;
    if (t.id.empty()) t.id = newId("trn_");
    t.createdAt = nowIso();
    auto r = Impl::write<Transmission>(*this, "recordTransmission", [&](Session& s) -> Result<Transmission> {
        Impl::claimIdempotency(*this, s, "transmission", t.id);
        if (guard) {
            // The decision was made on records read before this transaction: check they still hold.
            Impl::step(*this, "transmission.guard");
            std::vector<std::string> live;
            {
                Params p;
                std::string sql = "SELECT id FROM consents WHERE id = " + p.str(guard->consentId) +
                                  " AND withdrawn_at IS NULL";
                if (!_sqlite) sql += " FOR UPDATE";
                exec(s, sql, p, into(live));
            }
            Int64 count = 0;
            {
                Params p;
                exec(s, "SELECT COUNT(*) FROM consents WHERE dossier_id = " + p.str(guard->dossierId), p, into(count));
            }
            if (live.empty() || count != guard->consentCount)
                return Status::failedPrecondition("consent_changed",
                                                  "Les consentements du dossier ont changé pendant la transmission.");
        }
        insertTransmissionIn(*this, s, t, outbox);
        AuditEvent a = audit;
        if (a.subject.empty()) a.subject = t.id;
        appendAuditIn(*this, s, _sqlite, a);
        // The SIAO copies (seed 004), after the original they copy.
        for (const auto& c : copies) {
            Transmission copy = c.transmission;
            if (copy.id.empty()) copy.id = newId("trn_");
            copy.copyOf = t.id;
            copy.createdAt = t.createdAt;
            insertTransmissionIn(*this, s, copy, c.outbox);
            AuditEvent ca = c.audit;
            if (ca.subject.empty()) ca.subject = copy.id;
            appendAuditIn(*this, s, _sqlite, ca);
        }
        Impl::step(*this, "transmission.committed");
        return t;
    });
    if (!r.isOk()) return r;
    for (auto& a : r.value().artefacts) a.bytes.clear();
    return r;
}

Result<Transmission> PocoStore::findTransmission(const std::string& id) {
    return Impl::read<Transmission>(*this, "findTransmission", [&](Session& s) -> Result<Transmission> {
        Params p;
        return selectOne<TransmissionRow>(s, std::string(TRANSMISSION_SELECT) + " WHERE id = " + p.str(id), p,
                                          Status::notFound("transmission_not_found", "Transmission introuvable : " + id),
                                          [&](const TransmissionRow& r) { return transmissionWithArtefacts(s, r); });
    });
}

Result<Page<Transmission>> PocoStore::listTransmissions(const TransmissionQuery& q) {
    using R = Page<Transmission>;
    return Impl::read<R>(*this, "listTransmissions", [&](Session& s) -> Result<R> {
        auto where = [&](Params& p) {
            std::string w = " WHERE 1 = 1";
            if (!q.recipientOrgId.empty()) w += " AND recipient_id = " + p.str(q.recipientOrgId);
            if (!q.documentId.empty()) w += " AND document_id = " + p.str(q.documentId);
            if (!q.copyOf.empty()) w += " AND copy_of = " + p.str(q.copyOf);
            if (q.allowedOnly) w += " AND allowed = 1";
            return w;
        };
        return selectPage<TransmissionRow>(s, "transmissions", TRANSMISSION_SELECT, where, "created_at DESC, id DESC",
                                           q.limit, q.offset,
                                           [&](const TransmissionRow& r) { return transmissionWithArtefacts(s, r); });
    });
}

Result<Artefact> PocoStore::fetchTransmissionArtefact(const std::string& transmissionId, const std::string& format) {
    return Impl::read<Artefact>(*this, "fetchTransmissionArtefact", [&](Session& s) -> Result<Artefact> {
        Params p;
        std::string sql = "SELECT content_type, sha256, size_bytes, bytes FROM transmission_artefacts"
                          " WHERE transmission_id = " + p.str(transmissionId);
        sql += " AND format = " + p.str(format);
        return selectOne<ArtefactBytesRow>(
            s, sql, p, Status::notFound("rendition_not_found", "Cette copie n'existe pas au format « " + format + " »."),
            [&](const ArtefactBytesRow& r) { return toArtefactWithBytes(format, r); });
    });
}

Result<Webhook> PocoStore::setWebhook(const std::string& organisationId, const std::string& url, const AuditEvent& audit) {
    Webhook w{organisationId, url, nowIso()};
    return Impl::write<Webhook>(*this, "setWebhook", [&](Session& s) -> Result<Webhook> {
        std::size_t n;
        {
            Params p;
            n = exec(s, "UPDATE webhooks SET url = " + p.str(url) + ", updated_at = " + p.str(w.updatedAt) +
                            " WHERE organisation_id = " + p.str(organisationId), p);
        }
        if (n == 0) {
            Params p;
            exec(s, "INSERT INTO webhooks (organisation_id, url, updated_at)" +
                        values({p.str(organisationId), p.str(url), p.str(w.updatedAt)}), p);
        }
        appendAuditIn(*this, s, _sqlite, audit);
        return w;
    });
}

Result<Webhook> PocoStore::findWebhook(const std::string& organisationId) {
    return Impl::read<Webhook>(*this, "findWebhook", [&](Session& s) -> Result<Webhook> {
        using Row = Poco::Tuple<std::string, std::string>;
        Params p;
        return selectOne<Row>(s, "SELECT url, updated_at FROM webhooks WHERE organisation_id = " + p.str(organisationId), p,
                              Status::notFound("webhook_not_found", "Aucun webhook n'est déclaré."),
                              [&](const Row& r) { return Webhook{organisationId, r.get<0>(), r.get<1>()}; });
    });
}

Result<OutboxStatus> PocoStore::findOutboxMessage(const std::string& id) {
    return Impl::read<OutboxStatus>(*this, "findOutboxMessage", [&](Session& s) -> Result<OutboxStatus> {
        Params p;
        return selectOne<OutboxStatusRow>(s, std::string(OUTBOX_STATUS_SELECT) + " WHERE id = " + p.str(id), p,
                                          Status::notFound("message_not_found", "Message introuvable : " + id),
                                          toOutboxStatus);
    });
}

Result<std::vector<OutboxStatus>> PocoStore::listOutbox(const std::string& transmissionId) {
    using R = std::vector<OutboxStatus>;
    return Impl::read<R>(*this, "listOutbox", [&](Session& s) -> Result<R> {
        Params p;
        std::string sql = OUTBOX_STATUS_SELECT;
        if (!transmissionId.empty()) sql += " WHERE transmission_id = " + p.str(transmissionId);
        return mapRows(selectRows<OutboxStatusRow>(s, sql + " ORDER BY created_at, id", p), toOutboxStatus);
    });
}

void PocoStore::appendAuditInTransaction(Session& s, const AuditEvent& audit) { appendAuditIn(*this, s, _sqlite, audit); }

Status PocoStore::appendAudit(const AuditEvent& audit) {
    return Impl::run(*this, "appendAudit", [&](Session& s) { appendAuditIn(*this, s, _sqlite, audit); });
}

Result<std::optional<audit::AuditEntry>> PocoStore::auditHead() {
    using R = std::optional<audit::AuditEntry>;
    return Impl::read<R>(*this, "auditHead", [&](Session& s) -> Result<R> {
        Params p;
        auto rows = selectRows<AuditRow>(s, std::string(AUDIT_SELECT) + " ORDER BY seq DESC LIMIT 1", p);
        if (rows.empty()) return R{};
        return R{toAudit(rows.front())};
    });
}

Result<AuditedState> PocoStore::auditedState() {
    return Impl::read<AuditedState>(*this, "auditedState", [&](Session& s) -> Result<AuditedState> {
        AuditedState out;
        Params p;
        using CRow = Poco::Tuple<std::string, std::string, Int64>;
        for (const auto& r : selectRows<CRow>(s, "SELECT id, kind, COALESCE(withdrawn_at, -1) FROM consents ORDER BY id", p))
            out.consents.push_back({r.get<0>(), r.get<1>(), r.get<2>() != -1});
        Params q;
        using TRow = Poco::Tuple<std::string, Int64, std::string>;
        std::map<std::string, std::size_t> index;
        for (const auto& r : selectRows<TRow>(s, "SELECT id, allowed, copy_of FROM transmissions ORDER BY id", q)) {
            index[r.get<0>()] = out.transmissions.size();
            out.transmissions.push_back({r.get<0>(), r.get<1>() != 0, r.get<2>(), {}});
        }
        Params a;
        using ARow = Poco::Tuple<std::string, std::string, std::string>;
        for (const auto& r : selectRows<ARow>(s, "SELECT transmission_id, format, sha256 FROM transmission_artefacts", a)) {
            auto it = index.find(r.get<0>());
            if (it != index.end()) out.transmissions[it->second].artefactSha256[r.get<1>()] = r.get<2>();
        }
        Params o;
        using ORow = Poco::Tuple<std::string, Int64, std::string, Int64>;
        for (const auto& r : selectRows<ORow>(s, "SELECT id, COALESCE(cancelled_at, -1), cancel_reason,"
                                                 " COALESCE(delivered_at, -1) FROM outbox ORDER BY id", o)) {
            if (r.get<1>() >= 0) out.cancelledMessages.push_back({r.get<0>(), r.get<2>()});
            if (r.get<3>() >= 0) out.deliveredMessages.insert(r.get<0>());
        }
        return out;
    });
}

Result<std::vector<audit::AuditEntry>> PocoStore::listAudit() {
    using R = std::vector<audit::AuditEntry>;
    return Impl::read<R>(*this, "listAudit", [&](Session& s) -> Result<R> {
        Params p;
        return mapRows(selectRows<AuditRow>(s, std::string(AUDIT_SELECT) + " ORDER BY seq", p), toAudit);
    });
}

// The outbox. A message is due when not delivered, not dead, its next attempt
// time has come and no lease is running (lease_until <= now).

namespace {
// id, recipient, url, body, transmission, attempts, next attempt (epoch ms): a due outbox message.
using OutboxRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, Int64, Int64>;
delivery::OutboxMessage outboxMessageOf(const OutboxRow& r) {
    delivery::OutboxMessage m;
    m.id = r.get<0>();
    m.recipientOrgId = r.get<1>();
    m.url = r.get<2>();
    m.body = r.get<3>();
    m.transmissionId = r.get<4>();
    m.attempts = static_cast<int>(r.get<5>());
    m.nextAttemptAt = r.get<6>();
    return m;
}
} // namespace

Result<std::vector<delivery::OutboxMessage>> PocoStore::claimDue(std::int64_t nowMs, int max, std::int64_t leaseMs) {
    using R = std::vector<delivery::OutboxMessage>;
    return Impl::write<R>(*this, "claimDue", [&](Session& s) -> Result<R> {
        Impl::step(*this, "outbox.claim");
        // SQLite (several processes on one file): take the write lock before reading, so that two claims
        // queue on busy_timeout instead of both reading the same due rows (a deferred transaction that
        // read first could not upgrade). PostgreSQL: the SELECT below locks the rows it returns.
        if (_sqlite) exec(s, "UPDATE outbox SET lease_until = lease_until WHERE 1 = 0");
        using Row = OutboxRow;
        std::vector<Row> rows;
        {
            Params p;
            std::string sql = "SELECT id, recipient_id, url, body, transmission_id, attempts, next_attempt_at FROM outbox"
                              " WHERE delivered_at IS NULL AND dead = 0 AND cancelled_at IS NULL AND next_attempt_at <= " +
                              p.num(nowMs);
            sql += " AND lease_until <= " + p.num(nowMs);
            sql += " ORDER BY next_attempt_at, id LIMIT " + p.num(std::max(1, max));
            // Another instance's claim in progress: skip its rows rather than wait (and never take them twice).
            if (!_sqlite) sql += " FOR UPDATE SKIP LOCKED";
            rows = selectRows<Row>(s, sql, p);
        }
        R out;
        for (const auto& r : rows) {
            Params p;
            exec(s, "UPDATE outbox SET lease_until = " + p.num(nowMs + leaseMs) + " WHERE id = " + p.str(r.get<0>()), p);
            out.push_back(outboxMessageOf(r));
        }
        return out;
    });
}

Status PocoStore::markDelivered(const std::string& id, std::int64_t atMs, int httpStatus) {
    return Impl::run(*this, "markDelivered", [&](Session& s) {
        Impl::step(*this, "outbox.delivered");
        Params p;
        std::string sql = "UPDATE outbox SET delivered_at = " + p.num(atMs);
        sql += ", http_status = " + p.num(httpStatus);
        sql += ", attempts = attempts + 1, lease_until = 0, last_error = " + p.str("");
        sql += " WHERE id = " + p.str(id) + " AND delivered_at IS NULL AND cancelled_at IS NULL";
        exec(s, sql, p);
    });
}

Status PocoStore::markFailed(const std::string& id, int attempts, std::int64_t nextAttemptAtMs, bool dead,
                             const std::string& error) {
    return Impl::run(*this, "markFailed", [&](Session& s) {
        Impl::step(*this, "outbox.failed");
        Params p;
        std::string sql = "UPDATE outbox SET attempts = " + p.num(attempts);
        sql += ", next_attempt_at = " + p.num(nextAttemptAtMs);
        sql += ", dead = " + p.num(dead ? 1 : 0);
        sql += ", last_error = " + p.str(error.substr(0, 500));
        sql += ", lease_until = 0 WHERE id = " + p.str(id) + " AND delivered_at IS NULL AND cancelled_at IS NULL";
        exec(s, sql, p);
    });
}

namespace {
// The cancellation of one message and its audit entry, inside the caller's transaction.
void cancelIn(PocoStore& store, Session& s, bool sqlite, const std::string& id, std::int64_t atMs,
              const std::string& reason, const std::string& details) {
    PocoStore::Impl::step(store, "outbox.cancelled");
    Params p;
    std::string sql = "UPDATE outbox SET cancelled_at = " + p.num(atMs);
    sql += ", cancel_reason = " + p.str(reason.substr(0, 100));
    sql += ", lease_until = 0, lease_owner = '' WHERE id = " + p.str(id) + " AND delivered_at IS NULL AND cancelled_at IS NULL";
    if (exec(s, sql, p) == 0) return; // delivered or cancelled meanwhile: nothing to record
    appendAuditIn(store, s, sqlite, {"delivery.cancelled", "system", id, details.empty() ? "{}" : details});
}
} // namespace

Status PocoStore::markCancelled(const std::string& id, std::int64_t atMs, const std::string& reason,
                                const std::string& auditDetails) {
    return Impl::run(*this, "markCancelled", [&](Session& s) { cancelIn(*this, s, _sqlite, id, atMs, reason, auditDetails); });
}

namespace {
// The details of a "delivery.cancelled" entry written by the store itself (a withdrawal, a failed
// send after one): the same members as service::recheckDelivery's, identifiers only.
std::string cancelDetailsJson(const std::string& transmission, const std::string& recipient, const std::string& consent,
                              const std::string& reason, std::int64_t atSeconds) {
    auto quoted = [](const std::string& v) {
        std::string o = "\"";
        for (char c : v) {
            if (c == '"' || c == '\\') o.push_back('\\');
            if (static_cast<unsigned char>(c) >= 0x20) o.push_back(c);
        }
        return o + "\"";
    };
    const std::string at = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(atSeconds)),
                                                           "%Y-%m-%dT%H:%M:%SZ");
    return "{\"transmission\":" + quoted(transmission) + ",\"recipient\":" + quoted(recipient) + ",\"consent\":" +
           quoted(consent) + ",\"reason\":" + quoted(reason) + ",\"at\":" + quoted(at) + "}";
}
} // namespace

// Candidates of the guarded path: due, not leased; read only (leaseForSend leases one by one).
Result<std::vector<delivery::OutboxMessage>> PocoStore::listDue(std::int64_t nowMs, int max) {
    using R = std::vector<delivery::OutboxMessage>;
    return Impl::read<R>(*this, "listDue", [&](Session& s) -> Result<R> {
        using Row = OutboxRow;
        Params p;
        std::string sql = "SELECT id, recipient_id, url, body, transmission_id, attempts, next_attempt_at FROM outbox"
                          " WHERE delivered_at IS NULL AND dead = 0 AND cancelled_at IS NULL AND next_attempt_at <= " +
                          p.num(nowMs);
        sql += " AND lease_until <= " + p.num(nowMs);
        sql += " ORDER BY next_attempt_at, id LIMIT " + p.num(std::max(1, max));
        R out;
        for (const auto& r : selectRows<Row>(s, sql, p)) {
            out.push_back(outboxMessageOf(r));
        }
        return out;
    });
}

// Step (a) of a guarded attempt (delivery/Outbox.h), one short transaction. PostgreSQL: the message
// row is locked FOR UPDATE SKIP LOCKED (another instance leasing it at the same moment: skipped, and
// once it committed its lease keeps this one off), the dossier's consent records FOR SHARE, so a
// withdrawal (UPDATE) or a new record (recordConsent locks them FOR UPDATE) is ordered before the
// check (the push is cancelled) or after the lease. SQLite: the process write mutex and the database
// write lock (taken first) do the same. Nothing is sent here: the lease is committed first.
Result<delivery::Leased> PocoStore::leaseForSend(const delivery::OutboxMessage& m, const std::string& owner,
                                                 std::int64_t nowMs, std::int64_t leaseMs,
                                                 const delivery::RetryPolicy& policy, const delivery::Guard& guard) {
    return Impl::write<delivery::Leased>(*this, "leaseDelivery", [&](Session& s) -> Result<delivery::Leased> {
        Impl::step(*this, "outbox.lease");
        if (_sqlite) exec(s, "UPDATE outbox SET lease_until = lease_until WHERE 1 = 0");
        delivery::Leased l;
        l.message = m;
        std::string dossierId;
        {
            using Row = Poco::Tuple<std::string, std::string, std::string, Int64>;
            Params p;
            std::string sql = "SELECT o.url, o.body, t.dossier_id, o.attempts FROM outbox o JOIN transmissions t"
                              " ON t.id = o.transmission_id WHERE o.id = " + p.str(m.id);
            sql += " AND o.delivered_at IS NULL AND o.dead = 0 AND o.cancelled_at IS NULL";
            sql += " AND o.next_attempt_at <= " + p.num(nowMs);
            sql += " AND o.lease_until <= " + p.num(nowMs);
            if (!_sqlite) sql += " FOR UPDATE OF o SKIP LOCKED";
            auto rows = selectRows<Row>(s, sql, p);
            if (rows.empty()) {
                l.attempt.skipped = true;
                return l;
            }
            l.message.body = rows.front().get<1>();
            dossierId = rows.front().get<2>();
            l.message.attempts = static_cast<int>(rows.front().get<3>());
        }
        if (!_sqlite) {
            Impl::step(*this, "outbox.lock_consents");
            std::vector<std::string> ids;
            Params p;
            exec(s, "SELECT id FROM consents WHERE dossier_id = " + p.str(dossierId) + " FOR SHARE", p, into(ids));
        }
        {
            // The URL current at delivery time (issue 11 item 8), not the one copied at enqueue.
            std::vector<std::string> urls;
            Params p;
            exec(s, "SELECT url FROM webhooks WHERE organisation_id = " + p.str(m.recipientOrgId), p, into(urls));
            l.message.url = urls.empty() ? std::string() : urls.front();
        }
        l.attempt = guard(l.message, nowMs);
        if (l.attempt.skipped) return l;
        if (l.attempt.cancelled) {
            cancelIn(*this, s, _sqlite, m.id, nowMs, l.attempt.cancelReason, l.attempt.cancelDetails);
            return l;
        }
        Params p;
        std::string sql;
        if (!l.attempt.result.error.empty()) {
            // The gate could not be checked: a failed attempt, nothing sent, no lease.
            Impl::step(*this, "outbox.failed");
            const int attempts = l.message.attempts + 1;
            const bool dead = attempts >= policy.maxAttempts;
            sql = "UPDATE outbox SET attempts = " + p.num(attempts);
            sql += ", next_attempt_at = " + p.num(nowMs + policy.delayAfter(attempts));
            sql += ", dead = " + p.num(dead ? 1 : 0);
            sql += ", http_status = 0, last_error = " + p.str(l.attempt.result.error.substr(0, 500));
            sql += ", lease_until = 0, lease_owner = '' WHERE id = " + p.str(m.id);
            exec(s, sql, p);
            return l;
        }
        l.leaseUntilMs = nowMs + leaseMs;
        sql = "UPDATE outbox SET lease_owner = " + p.str(owner);
        sql += ", lease_until = " + p.num(l.leaseUntilMs) + " WHERE id = " + p.str(m.id);
        exec(s, sql, p);
        return l;
    });
}

// Step (c), one short transaction: the outcome of a send made outside any transaction, recorded only
// while `owner` holds the lease (the message row locked first, as a withdrawal does).
Result<bool> PocoStore::recordOutcome(const delivery::OutboxMessage& m, const std::string& owner, std::int64_t nowMs,
                                      const delivery::RetryPolicy& policy, const delivery::SendResult& r) {
    return Impl::write<bool>(*this, "recordDelivery", [&](Session& s) -> Result<bool> {
        Impl::step(*this, "outbox.record");
        if (_sqlite) exec(s, "UPDATE outbox SET lease_until = lease_until WHERE 1 = 0");
        using Row = Poco::Tuple<std::string, std::string, Int64>;
        std::vector<Row> rows;
        {
            Params p;
            std::string sql = "SELECT t.consent_id, o.recipient_id, COALESCE(c.withdrawn_at, -1) FROM outbox o"
                              " JOIN transmissions t ON t.id = o.transmission_id"
                              " LEFT JOIN consents c ON c.id = t.consent_id WHERE o.id = " + p.str(m.id);
            sql += " AND o.lease_owner = " + p.str(owner);
            sql += " AND o.delivered_at IS NULL AND o.dead = 0 AND o.cancelled_at IS NULL";
            if (!_sqlite) sql += " FOR UPDATE OF o";
            rows = selectRows<Row>(s, sql, p);
        }
        if (rows.empty()) return false; // the lease is no longer ours: whoever holds it records
        Params p;
        std::string sql;
        if (r.delivered) {
            Impl::step(*this, "outbox.delivered");
            sql = "UPDATE outbox SET delivered_at = " + p.num(nowMs);
            sql += ", http_status = " + p.num(r.httpStatus);
            sql += ", attempts = attempts + 1, last_error = " + p.str("");
        } else if (rows.front().get<2>() >= 0) {
            // Withdrawn while this send was on its way, and it did not arrive: cancelled, not retried.
            const std::string details =
                cancelDetailsJson(m.transmissionId, rows.front().get<1>(), rows.front().get<0>(), "withdrawn", nowMs / 1000);
            cancelIn(*this, s, _sqlite, m.id, nowMs, "withdrawn", details);
            return true;
        } else {
            Impl::step(*this, "outbox.failed");
            const int attempts = m.attempts + 1;
            const bool dead = r.permanent || attempts >= policy.maxAttempts;
            sql = "UPDATE outbox SET attempts = " + p.num(attempts);
            sql += ", next_attempt_at = " + p.num(nowMs + policy.delayAfter(attempts));
            sql += ", dead = " + p.num(dead ? 1 : 0);
            sql += ", http_status = " + p.num(r.httpStatus);
            sql += ", last_error = " + p.str(r.error.substr(0, 500));
        }
        sql += ", lease_until = 0, lease_owner = '' WHERE id = " + p.str(m.id);
        exec(s, sql, p);
        return true;
    });
}

// ---------------------------------------------------------------------------
// Session access for the aggregate files (AccountStore.cpp, …).

Status PocoStore::readSession(const std::string& op, const std::function<Status(Session&)>& fn) {
    return Impl::read<int>(*this, op, [&](Session& s) -> Result<int> {
               Status st = fn(s);
               if (!st.isOk()) return st;
               return 0;
           })
        .status();
}

Status PocoStore::writeTransaction(const std::string& op, const std::function<Status(Session&)>& fn) {
    return Impl::write<int>(*this, op, [&](Session& s) -> Result<int> {
               Status st = fn(s);
               if (!st.isOk()) return st;
               return 0;
           })
        .status();
}


// Idempotency-Key records (migration 6; storage/Idempotency.h). The record is
// inserted by Impl::claimIdempotency inside the creating transaction; here it
// is read, completed with the answer, and purged once expired.

namespace {
using IdemRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, Int64, std::string,
                            std::string, Int64, Int64>;
} // namespace

Result<std::optional<IdempotencyRecord>> PocoStore::findIdempotencyRecord(const std::string& organisationId,
                                                                          const std::string& key, std::int64_t nowSeconds) {
    using R = std::optional<IdempotencyRecord>;
    return Impl::read<R>(*this, "findIdempotencyRecord", [&](Session& s) -> Result<R> {
        Params p;
        auto rows = selectRows<IdemRow>(
            s, "SELECT organisation_id, idem_key, request_hash, resource_kind, resource_id, status, response, location,"
               " created_at, expires_at FROM idempotency_keys WHERE organisation_id = " + p.str(organisationId) +
                   " AND idem_key = " + p.str(key) + " AND expires_at > " + p.num(nowSeconds),
            p);
        if (rows.empty()) return R();
        const IdemRow& r = rows.front();
        IdempotencyRecord rec{r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), static_cast<int>(r.get<5>()),
                              r.get<6>(), r.get<7>(), r.get<8>(), r.get<9>()};
        return R(std::move(rec));
    });
}

Status PocoStore::completeIdempotencyRecord(const std::string& organisationId, const std::string& key, int status,
                                            const std::string& response, const std::string& location) {
    return Impl::run(*this, "completeIdempotencyRecord", [&](Session& s) {
        Params p;
        exec(s, "UPDATE idempotency_keys SET status = " + p.num(status) + ", response = " + p.str(response) +
                    ", location = " + p.str(location) + " WHERE organisation_id = " + p.str(organisationId) +
                    " AND idem_key = " + p.str(key) + " AND status = 0",
             p);
    });
}

Result<int> PocoStore::purgeIdempotencyRecords(std::int64_t nowSeconds) {
    return Impl::write<int>(*this, "purgeIdempotencyRecords", [&](Session& s) -> Result<int> {
        Params p;
        return static_cast<int>(exec(s, "DELETE FROM idempotency_keys WHERE expires_at <= " + p.num(nowSeconds), p));
    });
}

} // namespace passerelle::storage
