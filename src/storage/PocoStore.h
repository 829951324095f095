#pragma once
// PocoStore: the Store on Poco::Data, with two connectors:
//  - SQLite (default): one file, WAL journal, foreign keys on, busy timeout;
//    writes are serialised inside the process (one writer at a time).
//  - PostgreSQL: for several service instances on one database.
// Sessions come from a pool (Poco::Data::SessionPool). All SQL of the service
// lives in PocoStore.cpp and uses `$1, $2…` placeholders (rewritten to
// SQLite's `?1, ?2…`, which bind by number as PostgreSQL's do).
//
// Schema migrations are versioned (table schema_migrations) and applied by
// open(), in one transaction per start-up; open() refuses a database whose
// schema is newer than the latest migration this build knows
// (FailedPrecondition "schema_too_new"). On PostgreSQL, concurrent starts are
// serialised by an advisory lock.
//
// Thread-safe: share one instance between the HTTP threads.
//
// Consent, transmission, audit and outbox (migration 2):
//  - consents are immutable rows; the withdrawal is one UPDATE setting
//    withdrawn_at, guarded by "withdrawn_at IS NULL" (it happens once).
//  - audit_log appends are serialised: on SQLite by the write transaction
//    (and this process' write mutex), on PostgreSQL by
//    "LOCK TABLE audit_log IN EXCLUSIVE MODE" inside the transaction that
//    writes the event, so two instances never fork the chain; seq is the
//    primary key as a last guard.
//  - the outbox (delivery::OutboxStore): claimDue takes a lease; on
//    PostgreSQL the due rows are selected "FOR UPDATE SKIP LOCKED" in the
//    claiming transaction, so two instances never claim the same message.
//    The consent-guarded pushes (issue 11 item 7) are lease → send → record
//    (delivery/Outbox.h): leaseForSend re-checks the gate and leases the message
//    in one short transaction (the message row FOR UPDATE SKIP LOCKED, the
//    dossier's consents FOR SHARE on PostgreSQL; the write lock and mutex on
//    SQLite), the HTTP send runs outside any transaction, and recordOutcome
//    records it only while the lease (lease_owner, migration 19) is the
//    worker's. withdrawConsent cancels the consent's queued pushes at once.
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "storage/Store.h"

namespace Poco::Data {
class SessionPool;
class Session;
} // namespace Poco::Data

namespace passerelle::storage {

struct StoreConfig {
    std::string connector = "sqlite"; // "sqlite" | "postgresql" (Poco::Data connector keys)
    std::string connectionString;      // SQLite: file path; PostgreSQL: libpq "key=value" string
    std::string display;               // for logs, without password
    int maxSessions = 40;              // pool size; serve uses workers + 4 (see class Pool)
    int busyTimeoutMs = 5000;          // SQLite: wait for another process' writer
    // Keys of the audit chain (held outside the database); null or empty: unkeyed entries (tests).
    std::shared_ptr<const audit::AuditKeyring> auditKeys;
    // true: open() fails with NotFound "database_missing" instead of creating an
    // empty database (audit verify must not report an empty journal as intact).
    bool mustExist = false;
};

// Parses "sqlite:PATH", "sqlite://PATH", "postgresql://user[:pw]@host[:port]/db[?k=v]"
// (also "postgres://"). InvalidArgument with a French message otherwise.
Result<StoreConfig> parseDatabaseUrl(const std::string& url);
// The default: SQLite file DATA_DIR/passerelle.db (the directory is created by open()).
StoreConfig sqliteInDataDir(const std::string& dataDir);

// The latest schema version this build knows.
int latestSchemaVersion();

class KeyLookups;

class PocoStore : public Store, public delivery::OutboxStore {
public:
    // Opens the pool, applies pending migrations; fails on a newer schema.
    static Result<std::shared_ptr<PocoStore>> open(const StoreConfig& config);
    ~PocoStore() override;

    // Test hook: called with the name of each step of a write transaction
    // ("document.revision", "document.artefact", "dossier.insert", ...) just
    // before it runs. A hook that throws makes the transaction fail (and roll
    // back); a hook that ends the process simulates a crash. Not for production.
    using FaultHook = std::function<void(const std::string& step)>;
    void setFaultHook(FaultHook hook);

    // The audit keys new entries are signed with (from StoreConfig); may be null.
    const std::shared_ptr<const audit::AuditKeyring>& auditKeys() const { return _config.auditKeys; }

    std::string describe() const override;
    Result<int> schemaVersion() override;

    Result<Organisation> createOrganisation(const std::string& name, const std::string& kind) override;
    Result<Organisation> findOrganisation(const std::string& id) override;
    Result<Organisation> findOrganisationByName(const std::string& name) override;
    Result<std::vector<Organisation>> listOrganisations() override;
    Result<ApiKey> createApiKey(const std::string& organisationId, const std::string& name, const std::string& prefix,
                                const std::string& secretHash) override;
    Result<KeyOwner> findKeyByHash(const std::string& secretHash) override;
    Result<std::vector<ApiKey>> listApiKeys(const std::string& organisationId) override;
    Result<ApiKey> revokeApiKey(const std::string& idOrPrefix) override;

    Result<Partnership> createPartnership(const std::string& associationId, const std::string& bailleurId,
                                          const std::string& siaoId = "") override;
    Result<std::vector<Partnership>> listPartnerships(const std::string& organisationId) override;
    Result<Partnership> findPartnership(const std::string& associationId, const std::string& bailleurId) override;
    Result<Partnership> setPartnershipSiao(const std::string& associationId, const std::string& bailleurId,
                                           const std::string& siaoId) override;
    Result<Action> createAction(const std::string& title, const std::string& associationId,
                                const std::vector<std::string>& funderIds) override;
    Result<Action> findAction(const std::string& id) override;
    Result<std::vector<Action>> listActions(const std::string& associationId, const std::string& funderId) override;

    Result<Dossier> createDossier(const Dossier& dossier) override;
    Result<Dossier> findDossier(const std::string& id) override;
    Result<Page<Dossier>> listDossiers(const DossierQuery& query) override;
    Result<Dossier> updateDossier(const Dossier& dossier) override;
    Result<Dossier> setDossierClosed(const std::string& id, bool closed, const AuditEvent& audit) override;
    // Retention (RetentionStore.cpp, migration 16).
    Result<std::vector<Dossier>> listClosedDossiers() override;
    Result<Dossier> archiveDossier(const std::string& id, const AuditEvent& audit) override;
    Result<ErasureCounts> eraseDossier(const std::string& id, const AuditEvent& audit) override;

    Result<Document> createDocument(const Document& document, const Revision& first) override;
    Result<Document> findDocument(const std::string& id) override;
    Result<Page<Document>> listDocuments(const DocumentQuery& query) override;
    Result<Document> addRevision(const std::string& documentId, std::int64_t expectedRevision,
                                 const Revision& revision) override;
    Result<Revision> findRevision(const std::string& documentId, std::int64_t number) override;
    Result<std::vector<Revision>> listRevisions(const std::string& documentId) override;
    Result<Artefact> fetchArtefact(const std::string& documentId, std::int64_t revision,
                                   const std::string& format) override;

    Result<StoredConsent> recordConsent(const StoredConsent& consent, const AuditEvent& audit) override;
    Result<StoredConsent> findConsent(const std::string& id) override;
    Result<std::vector<StoredConsent>> listConsents(const std::string& dossierId) override;
    Result<StoredConsent> withdrawConsent(const std::string& id, std::int64_t at, const AuditEvent& audit) override;
    Result<Transmission> recordTransmission(const Transmission& t, const AuditEvent& audit,
                                            const std::optional<ConsentGuard>& guard,
                                            const std::optional<delivery::OutboxMessage>& outbox,
                                            const std::vector<TransmissionCopy>& copies = {}) override;
    Result<Transmission> findTransmission(const std::string& id) override;
    Result<Page<Transmission>> listTransmissions(const TransmissionQuery& query) override;
    Result<Artefact> fetchTransmissionArtefact(const std::string& transmissionId, const std::string& format) override;
    Result<Webhook> setWebhook(const std::string& organisationId, const std::string& url, const AuditEvent& audit) override;
    Result<Webhook> findWebhook(const std::string& organisationId) override;
    Result<OutboxStatus> findOutboxMessage(const std::string& id) override;
    Result<std::vector<OutboxStatus>> listOutbox(const std::string& transmissionId) override;
    Status appendAudit(const AuditEvent& audit) override;
    Result<std::vector<audit::AuditEntry>> listAudit() override;
    Result<AuditedState> auditedState() override;
    Result<std::optional<audit::AuditEntry>> auditHead() override;

    // Signed documents (SigningStore.cpp, migration 7).
    Result<SigningRecord> createSigning(const Signing& signing, const std::vector<Signatory>& signatories,
                                        const AuditEvent& audit) override;
    Result<SigningRecord> findSigning(const std::string& id, bool withImages = false) override;
    Result<SigningRecord> latestSigning(const std::string& documentId) override;
    Result<SigningRecord> recordSignature(const Signatory& s, const AuditEvent& audit) override;
    Result<Artefact> storeSignedDocument(const std::string& signingId, const Artefact& pdf, const AuditEvent& audit) override;
    Result<Artefact> fetchSignedDocument(const std::string& signingId) override;
    // Signing links, autorisation scans and previews (SigningEvidenceStore.cpp, SigningStore.cpp; migration 11).
    Result<std::vector<SigningRecord>> listSigningsOfBailleur(const std::string& bailleurOrgId) override;
    Status createSigningLink(const SigningLink& link, const AuditEvent& audit) override;
    Result<SigningLink> findSigningLink(const std::string& tokenHash) override;
    Result<std::vector<SigningLink>> openSigningLinks(const std::string& signingId, std::int64_t nowMs) override;
    Result<SigningRecord> recordLinkSignature(const std::string& tokenHash, std::int64_t nowMs, const Signatory& s,
                                              const AuditEvent& audit) override;
    Status setSigningLinksEnabled(const std::string& associationId, const std::string& bailleurId, bool enabled,
                                  const AuditEvent& audit) override;
    Result<bool> signingLinksEnabled(const std::string& associationId, const std::string& bailleurId) override;
    Status setInPersonConsentAllowed(const std::string& associationId, const std::string& bailleurId, bool allowed,
                                     const AuditEvent& audit) override;
    Result<bool> inPersonConsentAllowed(const std::string& associationId, const std::string& bailleurId) override;
    Status setOrganisationContact(const std::string& organisationId, const OrganisationContact& contact,
                                  const AuditEvent& audit) override;
    Result<OrganisationContact> organisationContact(const std::string& organisationId) override;
    Result<AutorisationScan> storeAutorisationScan(const AutorisationScan& scan, const AuditEvent& audit) override;
    Result<AutorisationScan> latestAutorisationScan(const std::string& documentId, std::int64_t revision) override;
    Result<AutorisationPreview> storeAutorisationPreview(const AutorisationPreview& preview) override;
    Result<AutorisationPreview> findAutorisationPreview(const std::string& id) override;
    Status confirmAutorisationPreview(const std::string& id, const std::string& signatoryId) override;
    Result<AutorisationPreview> confirmedAutorisationPreview(const std::string& documentId, std::int64_t revision) override;

    // For the store files of other aggregates (SigningStore.cpp, AccountStore.cpp, DraftStore.cpp):
    // the audit append inside a writeTransaction (below).
    void appendAuditInTransaction(Poco::Data::Session& s, const AuditEvent& audit);
    bool isSqlite() const { return _sqlite; }

    // Idempotency-Key records (end of PocoStore.cpp; storage/Idempotency.h).
    Result<std::optional<IdempotencyRecord>> findIdempotencyRecord(const std::string& organisationId, const std::string& key,
                                                                   std::int64_t nowSeconds) override;
    Status completeIdempotencyRecord(const std::string& organisationId, const std::string& key, int status,
                                     const std::string& response, const std::string& location) override;
    Result<int> purgeIdempotencyRecords(std::int64_t nowSeconds) override;

    // First readings of received copies (ReceivedStore.cpp, migration 12).
    Status markTransmissionRead(const std::string& transmissionId, const std::string& organisationId,
                                const std::string& userId, std::int64_t atMs) override;
    Result<std::map<std::string, std::int64_t>> transmissionReads(const std::vector<std::string>& transmissionIds) override;
    Result<ReceivedPage> searchReceived(const ReceivedQuery& query) override;

    // delivery::OutboxStore
    Result<std::vector<delivery::OutboxMessage>> claimDue(std::int64_t nowMs, int max, std::int64_t leaseMs) override;
    Status markDelivered(const std::string& id, std::int64_t atMs, int httpStatus) override;
    Status markCancelled(const std::string& id, std::int64_t atMs, const std::string& reason,
                         const std::string& auditDetails) override;
    Result<std::vector<delivery::OutboxMessage>> listDue(std::int64_t nowMs, int max) override;
    Result<delivery::Leased> leaseForSend(const delivery::OutboxMessage& m, const std::string& owner, std::int64_t nowMs,
                                          std::int64_t leaseMs, const delivery::RetryPolicy& policy,
                                          const delivery::Guard& guard) override;
    Result<bool> recordOutcome(const delivery::OutboxMessage& m, const std::string& owner, std::int64_t nowMs,
                               const delivery::RetryPolicy& policy, const delivery::SendResult& result) override;
    Status markFailed(const std::string& id, int attempts, std::int64_t nextAttemptAtMs, bool dead,
                      const std::string& error) override;

    // Accounts and web sessions (issue 9), in AccountStore.cpp.
    Result<User> createUser(const User& user, const AuditEvent& audit) override;
    Result<User> findUser(const std::string& id) override;
    Result<User> findUserByEmail(const std::string& email) override;
    Result<std::vector<User>> listUsers(const std::string& organisationId) override;
    Result<User> updateUser(const User& user, const AuditEvent& audit) override;
    Status createWebSession(const WebSession& session) override;
    Result<WebSession> findWebSession(const std::string& tokenHash) override;
    Status touchWebSession(const std::string& tokenHash, std::int64_t lastSeenAtMs) override;
    Status deleteWebSession(const std::string& tokenHash) override;
    Status deleteUserWebSessions(const std::string& userId) override;
    Result<LoginThrottle> findLoginThrottle(const std::string& key) override;
    Status saveLoginThrottle(const LoginThrottle& throttle) override;
    Status clearLoginThrottle(const std::string& key) override;
    Result<Page<Dossier>> searchDossiers(const DossierSearch& query) override;
    Status setDossierReferent(const std::string& dossierId, const std::string& userId) override;
    Result<std::string> dossierReferent(const std::string& dossierId) override;

    // For the aggregate files (AccountStore.cpp, …) that keep their SQL apart:
    // `fn` runs with a pooled session (readSession) or inside one transaction
    // (writeTransaction: commit when it returns OK, roll back otherwise; on
    // SQLite the process' write mutex is held). Poco exceptions become a
    // Status once (detail logged).
    Status readSession(const std::string& op, const std::function<Status(Poco::Data::Session&)>& fn);
    Status writeTransaction(const std::string& op, const std::function<Status(Poco::Data::Session&)>& fn);
    // (isSqlite() and appendAuditInTransaction() above serve these too.)

    struct Impl; // SQL helpers, in PocoStore.cpp

    // Operations (metrics, OpsStore.cpp): the session pool's use, and counts read at scrape time.
    struct PoolUse {
        int capacity = 0;  // sessions at most
        int allocated = 0; // open now
        int used = 0;      // lent out now
        int idle = 0;      // open and free
    };
    PoolUse poolUse() const;
    struct OperationalCounts {
        std::int64_t outboxPending = 0; // webhook messages not yet delivered nor dead
        std::int64_t outboxDead = 0;
        std::int64_t outboxDue = 0;     // pending and due now
        std::int64_t webSessions = 0;   // web sessions not yet expired
    };
    Result<OperationalCounts> operationalCounts(std::int64_t nowMs);

private:
    explicit PocoStore(StoreConfig config);
    Status migrate();

    StoreConfig _config;
    bool _sqlite = true;
    std::unique_ptr<Poco::Data::SessionPool> _pool;
    std::unique_ptr<KeyLookups> _keyLookups; // API-key lookups: own connections, statement prepared once
    std::mutex _writeMutex; // SQLite only: one writer at a time in this process
    std::mutex _hookMutex;
    FaultHook _hook;

    friend struct Impl;
};

} // namespace passerelle::storage
