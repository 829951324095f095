// E-mail notifications (issue 12) against a real local SMTP sink
// (tests/support/smtp_sink.py on python3-aiosmtpd), on SQLite and, when
// PASSERELLE_TEST_PG is set, on PostgreSQL:
//  - MIME: encoded words decode to the French subject, quoted-printable lines
//    stay under 76 columns, Date and Message-ID are there (Python's e-mail
//    parser in the sink is the independent decoder);
//  - the SMTP sender: plain; STARTTLS with AUTH (credentials only under TLS,
//    never in an error); STARTTLS required but not offered; 5xx is permanent;
//  - the outbox: a sink that refuses first (451) gets the message once after
//    the retry; a message claimed by an instance that died is sent once by
//    another after the lease; a second delivery pass sends nothing;
//  - who gets what: the landlord's and the SIAO's users when a copy arrives,
//    not a disabled account, not a user who turned the kind off; the
//    référent when the gate refuses; signature awaited / completed; the
//    signing link to an address; each message audited;
//  - the canary: no household value (names, reference, free text, consent
//    names and purpose) in any message, subject, body or header, raw or decoded;
//  - the consent reminder goes once, also from a second instance;
//  - the preferences page: default all on, saved, respected.
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Net/QuotedPrintableDecoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include "delivery/Mailer.h"
#include "delivery/Mime.h"
#include "mail/SmtpSink.h"
#include "service/DossierService.h"
#include "service/MailNotifier.h"
#include "service/SigningService.h"
#include "service/TransmissionService.h"
#include "sign/SignTestSupport.h"
#include "sign/SigningPlan.h"
#include "storage/MailStore.h"
#include "storage/StoreBackends.h"
#include "support/HttpClient.h"
#include "web/PreferencesRoutes.h"
#include "web/WebRoutes.h"

namespace passerelle::testing {
namespace {

using Poco::JSON::Object;

Object::Ptr parse(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

// By value: a range-for over `store.listAudit().value()` would read a destroyed temporary.
std::vector<audit::AuditEntry> auditOf(storage::Store& store) { return store.listAudit().value(); }
std::vector<storage::QueuedMail> mailOf(storage::MailStore& mail, const std::string& reference = "") {
    return mail.listMail(reference).value();
}

std::int64_t nowMs() { return Poco::Timestamp().epochMicroseconds() / 1000; }

delivery::SmtpConfig plainRelay(const SmtpSink& sink) {
    delivery::SmtpConfig c;
    c.host = "127.0.0.1";
    c.port = sink.port();
    c.from = "Passerelle <notifications@passerelle.example.org>";
    c.timeoutSeconds = 5;
    return c;
}

delivery::OutboxMessage outboxMessage(const std::string& to, const std::string& subject, const std::string& body) {
    delivery::MailContent c;
    c.from = "Passerelle <notifications@passerelle.example.org>";
    c.to = to;
    c.subject = subject;
    c.body = body;
    c.messageId = "mail_test@passerelle.example.org";
    c.dateEpochSeconds = 1796000000;
    delivery::OutboxMessage m;
    m.id = "mail_test";
    m.url = "mailto:" + to;
    m.body = delivery::composeMessage(c);
    return m;
}

std::string base64Decode(const std::string& s) {
    std::istringstream in(s);
    Poco::Base64Decoder dec(in);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return out;
}

// ---------------------------------------------------------------------------
// MIME.

TEST(MimeTest, SubjectIsEncodedWordsThatDecodeBackAndBodyIsQuotedPrintable) {
    const std::string subject = "Passerelle : Nouveau document reçu : Grille d’appréciation de la capacité à habiter — « test » œuvre";
    std::string body = "Bonjour,\n\nUne ligne très longue qui dépasse largement les soixante-seize colonnes autorisées par la RFC 2045 "
                       "pour le quoted-printable, avec des accents éèàçœ et un signe = au milieu.\n.ligne qui commence par un point\n"
                       "fin avec espace \n";
    delivery::MailContent c;
    c.from = "Passerelle Côtes-d’Armor <notifications@passerelle.example.org>";
    c.to = "cesf@bailleur.example.org";
    c.subject = subject;
    c.body = body;
    c.messageId = "mail_0123@passerelle.example.org";
    c.dateEpochSeconds = 1796083200; // 2026-12-01T00:00:00Z
    const std::string m = delivery::composeMessage(c);
    EXPECT_NE(m.find("Date: Tue, 01 Dec 2026 00:00:00 +0000\r\n"), std::string::npos) << m;
    EXPECT_NE(m.find("Message-ID: <mail_0123@passerelle.example.org>\r\n"), std::string::npos);
    EXPECT_NE(m.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
    EXPECT_NE(m.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
    EXPECT_NE(m.find("To: <cesf@bailleur.example.org>\r\n"), std::string::npos);
    // Header lines within 78 columns, body lines within 76 (quoted-printable), CRLF only, ASCII on the wire.
    std::size_t start = 0;
    const std::size_t bodyStart = m.find("\r\n\r\n") + 4;
    while (start < m.size()) {
        std::size_t e = m.find("\r\n", start);
        ASSERT_NE(e, std::string::npos) << "line without CRLF at " << start;
        EXPECT_LE(e - start, start >= bodyStart ? 76u : 78u) << m.substr(start, e - start);
        start = e + 2;
    }
    for (unsigned char ch : m) EXPECT_TRUE(ch < 0x80 && (ch >= 0x20 || ch == '\r' || ch == '\n')) << int(ch);
    // The subject's encoded words decode to the original.
    std::regex word("=\\?UTF-8\\?B\\?([A-Za-z0-9+/=]+)\\?=");
    std::string decoded;
    const std::string subjectHeader = m.substr(m.find("Subject: "), m.find("Message-ID:") - m.find("Subject: "));
    for (std::sregex_iterator it(subjectHeader.begin(), subjectHeader.end(), word), end; it != end; ++it) {
        EXPECT_LE(it->str().size(), 75u);
        decoded += base64Decode((*it)[1]);
    }
    EXPECT_EQ(decoded, subject);
    // A bare "=" is escaped, a trailing space too.
    EXPECT_NE(m.find("signe =3D au"), std::string::npos) << m;
    EXPECT_NE(m.find("espace=20\r\n"), std::string::npos) << m;
}

// ---------------------------------------------------------------------------
// The SMTP sender against the sink.

TEST(SmtpSenderTest, PlainRelayReceivesTheFrenchMessageOnceDecodedByAnIndependentParser) {
    SmtpSink sink;
    delivery::SmtpSender sender(plainRelay(sink));
    auto r = sender.send(outboxMessage("cesf@bailleur.example.org", "Passerelle : Signature attendue : Contrat d’objectifs",
                                       "Bonjour,\n\nÀ signer : « contrat ».\n.point en tête\n"));
    ASSERT_TRUE(r.delivered) << r.error;
    EXPECT_EQ(r.httpStatus, 250);
    auto msgs = sink.waitFor(1);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].subject(), "Passerelle : Signature attendue : Contrat d’objectifs");
    EXPECT_EQ(msgs[0].body(), "Bonjour,\n\nÀ signer : « contrat ».\n.point en tête\n\n");
    EXPECT_EQ(msgs[0].rcpt(), "cesf@bailleur.example.org");
    EXPECT_EQ(msgs[0].info->getValue<std::string>("mail_from"), "notifications@passerelle.example.org");
    EXPECT_EQ(msgs[0].info->getValue<std::string>("charset"), "utf-8");
    EXPECT_FALSE(msgs[0].tls());
}

TEST(SmtpSenderTest, StartTlsThenAuthAndTheWrongPasswordNeverInTheError) {
    TempDir dir;
    TestCertificate cert(dir.path());
    SmtpSink sink({"--tls-cert", cert.cert, "--tls-key", cert.key, "--require-tls", "--auth", "relais:s3cret-Mot-De-Passe"});
    delivery::SmtpConfig c = plainRelay(sink);
    c.host = "localhost";
    c.caFile = cert.cert;
    c.user = "relais";
    c.password = "s3cret-Mot-De-Passe";
    {
        delivery::SmtpSender sender(c);
        auto r = sender.send(outboxMessage("gestion@bailleur.example.org", "Passerelle : Document reçu", "Bonjour.\n"));
        ASSERT_TRUE(r.delivered) << r.error;
    }
    auto msgs = sink.waitFor(1);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_TRUE(msgs[0].tls());
    EXPECT_TRUE(msgs[0].authenticated());
    EXPECT_EQ(msgs[0].subject(), "Passerelle : Document reçu");

    c.password = "mauvais-Mot-De-Passe-42";
    delivery::SmtpSender wrong(c);
    auto r = wrong.send(outboxMessage("gestion@bailleur.example.org", "x", "y\n"));
    EXPECT_FALSE(r.delivered);
    EXPECT_FALSE(r.permanent) << "refused credentials are a configuration to fix, the message waits";
    EXPECT_EQ(r.error.find("mauvais-Mot-De-Passe-42"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("auth_failed"), std::string::npos) << r.error;

    // A certificate nobody vouches for: refused (the system CAs do not know it).
    c.password = "s3cret-Mot-De-Passe";
    c.caFile.clear();
    delivery::SmtpSender untrusted(c);
    auto u = untrusted.send(outboxMessage("gestion@bailleur.example.org", "x", "y\n"));
    EXPECT_FALSE(u.delivered);
    EXPECT_EQ(sink.messages().size(), 1u);
}

TEST(SmtpSenderTest, RequiredStartTlsNotOfferedSendsNothingAndCredentialsNeverGoInClear) {
    SmtpSink sink;
    delivery::SmtpConfig c = plainRelay(sink);
    c.starttls = "required";
    auto r = delivery::SmtpSender(c).send(outboxMessage("a@example.org", "x", "y\n"));
    EXPECT_FALSE(r.delivered);
    EXPECT_EQ(r.error, "starttls_not_offered");
    c.starttls = "auto";
    c.user = "relais";
    c.password = "secret";
    auto a = delivery::SmtpSender(c).send(outboxMessage("a@example.org", "x", "y\n"));
    EXPECT_FALSE(a.delivered);
    EXPECT_EQ(a.error, "auth_without_tls_refused");
    EXPECT_TRUE(sink.messages().empty());
}

TEST(SmtpSenderTest, PermanentRefusalIsPermanentAndABadAddressNeverReachesTheRelay) {
    SmtpSink sink({"--reject-all"});
    delivery::SmtpSender sender(plainRelay(sink));
    auto r = sender.send(outboxMessage("inconnu@example.org", "x", "y\n"));
    EXPECT_FALSE(r.delivered);
    EXPECT_TRUE(r.permanent);
    EXPECT_EQ(r.httpStatus, 550);
    delivery::OutboxMessage bad = outboxMessage("a@example.org", "x", "y\n");
    bad.url = "mailto:a@example.org>\r\nRCPT TO:<b@example.org";
    auto b = sender.send(bad);
    EXPECT_FALSE(b.delivered);
    EXPECT_EQ(b.error, "bad_address");
}

// ---------------------------------------------------------------------------
// Notifications end to end, on each backend.

const std::string PUBLIC_URL = "https://passerelle.example.org";

// Household values that must never appear in a message.
const std::vector<std::string> CANARIES = {
    "CANARI-NOM-Kermarrec", "CANARI-PRENOM-Maelys", "CANARI-REF-2026-77", "CANARI-SANTE-9c1d",
    "CANARI-ADRESSE-rue-des-Lilas", "CANARI-SIGNATAIRE-Le-Gall", "CANARI-OBJET-accord", "Imhoweb",
};

void expectNoCanary(const SinkMessage& m) {
    const std::string decoded = m.subject() + "\n" + m.body() + "\n" + m.allHeaders();
    for (const auto& c : CANARIES) {
        EXPECT_EQ(m.raw.find(c), std::string::npos) << c << " in the raw message:\n" << m.raw;
        EXPECT_EQ(decoded.find(c), std::string::npos) << c << " in the decoded message:\n" << decoded;
    }
}

class MailFlowTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        renderer = std::make_shared<const service::RenderService>(repoCatalog());
        dossiers = std::make_shared<const service::DossierService>(store, renderer);
        mail = std::make_shared<storage::MailStore>(store);
        settings.publicUrl = PUBLIC_URL + "/";
        settings.from = "Passerelle <notifications@passerelle.example.org>";
        settings.retry = delivery::RetryPolicy{30000, 3600000, 3};
        notifier = std::make_unique<service::MailNotifier>(mail, formTitle(), settings);
        transmissions = std::make_shared<const service::TransmissionService>(store, renderer, service::Clock{}, *notifier);

        asso = org("ADALEA", storage::KIND_ASSOCIATION);
        bailleur = org("Côtes d'Armor Habitat", storage::KIND_BAILLEUR);
        other = org("Terre et Baie Habitat", storage::KIND_BAILLEUR);
        siao = org("SIAO des Côtes-d'Armor", storage::KIND_SIAO);
        ASSERT_TRUE(store->createPartnership(asso, bailleur, siao).isOk());
        ASSERT_TRUE(store->createPartnership(asso, other).isOk());
        for (const auto& b : {bailleur, other})
            ASSERT_TRUE(store->setInPersonConsentAllowed(asso, b, true, {"partnership.in_person_consent", "system", b, "{}"}).isOk());
        referent = user(asso, "referente@adalea.example.org");
        user(asso, "direction@adalea.example.org");
        cesf = user(bailleur, "cesf@cdah.example.org");
        gestion = user(bailleur, "gestion@cdah.example.org");
        ancien = user(bailleur, "ancien@cdah.example.org", /*disabled=*/true);
        accueil = user(siao, "accueil@siao22.example.org");
        user(other, "contact@tbh.example.org");
        association.organisationId = asso;
        association.organisationName = "ADALEA";
        association.kind = storage::KIND_ASSOCIATION;
        association.userId = referent;
    }

    static service::FormTitle formTitle() {
        return [](const std::string& id) {
            auto def = repoCatalog().forms->find(id);
            return def ? def->title : std::string();
        };
    }
    std::string org(const std::string& name, const std::string& kind) {
        auto o = store->createOrganisation(name, kind);
        EXPECT_TRUE(o.isOk()) << o.status().toString();
        return o.value().id;
    }
    std::string user(const std::string& orgId, const std::string& email, bool disabled = false) {
        storage::User u;
        u.organisationId = orgId;
        u.email = email;
        u.name = "Personne " + email;
        u.role = storage::ROLE_MEMBRE;
        u.passwordHash = "$argon2id$v=19$m=65536,t=2,p=1$test$test";
        u.mustChangePassword = false;
        if (disabled) u.disabledAt = "2026-11-01T00:00:00.000Z";
        auto r = store->createUser(u, {"user.created", orgId, "", "{}"});
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.value().id;
    }
    // A dossier followed by the référent, with a grille full of canaries; returns the document id.
    std::string grilleWithCanaries(std::string* dossierOut = nullptr) {
        auto body = parse(R"({"reference":"CANARI-REF-2026-77","menage":{"membres":[{"nom":"CANARI-NOM-Kermarrec",)"
                          R"("prenom":"CANARI-PRENOM-Maelys"},{"nom":"CANARI-SIGNATAIRE-Le-Gall"}]},"logement":{"adresse":"CANARI-ADRESSE-rue-des-Lilas"}})");
        auto d = dossiers->createDossier(association, body);
        EXPECT_TRUE(d.isOk()) << d.status().toString();
        EXPECT_TRUE(store->setDossierReferent(d.value().id, referent).isOk());
        Object::Ptr grille = readJson(sourceDir() + "/examples/grille-capacite-habiter-cotes-darmor-initiale.json");
        grille->getObject("cotesDArmor")->getObject("situationResidentielle")->getObject("santeAutonomie")->set(
            "commentaire", "CANARI-SANTE-9c1d");
        service::NewDocument nd;
        nd.form = "grille-capacite-habiter";
        nd.dossierId = d.value().id;
        nd.data = grille;
        auto doc = dossiers->createDocument(association, nd);
        EXPECT_TRUE(doc.isOk()) << doc.status().toString();
        if (dossierOut) *dossierOut = d.value().id;
        return doc.value().document.id;
    }
    std::string consent(const std::string& dossier, const std::string& to, const std::string& extra = "") {
        auto body = parse(R"({"kind":"consent","recipient":")" + to +
                          R"(","givenBy":{"name":"CANARI-SIGNATAIRE-Le-Gall","capacity":"household_member"},)"
                          R"("scope":{"documentKinds":["grille-capacite-habiter"],"categories":["logement","administratif",)"
                          R"("budget","dette","accompagnement","identite","partenaire","vie-sociale","composition"]},)"
                          R"("purpose":"CANARI-OBJET-accord","how":{"method":"in_person","recordedBy":"Référente"})" +
                          extra + "}");
        auto c = transmissions->recordConsent(association, dossier, body);
        EXPECT_TRUE(c.isOk()) << c.status().toString();
        return c.isOk() ? c.value().record.id : "";
    }
    std::unique_ptr<service::MailLoop> loop(const SmtpSink& sink, service::Notifier& n) {
        return std::make_unique<service::MailLoop>(mail, std::make_shared<delivery::SmtpSender>(plainRelay(sink)), n, settings);
    }
    std::size_t countEvents(const std::string& event) {
        std::size_t n = 0;
        for (const auto& e : auditOf(*store)) n += e.event == event;
        return n;
    }
    static std::map<std::string, SinkMessage> byRecipient(const std::vector<SinkMessage>& msgs) {
        std::map<std::string, SinkMessage> out;
        for (const auto& m : msgs) out[m.rcpt()] = m;
        return out;
    }

    std::unique_ptr<TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::shared_ptr<const service::RenderService> renderer;
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<storage::MailStore> mail;
    service::MailSettings settings;
    std::unique_ptr<service::MailNotifier> notifier;
    std::shared_ptr<const service::TransmissionService> transmissions;
    std::string asso, bailleur, other, siao, referent, cesf, gestion, ancien, accueil;
    service::Caller association;
};

TEST_P(MailFlowTest, CopyArrivesOnceToEachLandlordAndSiaoUserInFrenchWithTheLinkAndNoHouseholdValue) {
    SmtpSink sink;
    auto mailLoop = loop(sink, *notifier);
    // The landlord's CESF turned "document reçu" off; the disabled account gets nothing either.
    service::NotificationPreferences prefs(mail);
    ASSERT_TRUE(prefs.set(cesf, bailleur, {"transmission_refused", "signature_awaited"}).isOk());

    std::string dossier;
    const std::string doc = grilleWithCanaries(&dossier);
    consent(dossier, bailleur, R"(,"copieSiao":true)");
    auto t = transmissions->transmit(association, doc, bailleur);
    ASSERT_TRUE(t.isOk()) << t.status().toString();
    const std::string trn = t.value().id;

    auto delivered = mailLoop->deliverOnce(nowMs());
    ASSERT_TRUE(delivered.isOk()) << delivered.status().toString();
    EXPECT_EQ(delivered.value(), 2);
    auto msgs = sink.waitFor(2);
    ASSERT_EQ(msgs.size(), 2u);
    auto to = byRecipient(msgs);
    ASSERT_EQ(to.count("gestion@cdah.example.org"), 1u);
    ASSERT_EQ(to.count("accueil@siao22.example.org"), 1u);
    EXPECT_EQ(to.count("cesf@cdah.example.org"), 0u) << "preference off";
    EXPECT_EQ(to.count("ancien@cdah.example.org"), 0u) << "disabled account";

    const std::string title = repoCatalog().forms->find("grille-capacite-habiter")->title;
    const SinkMessage& g = to["gestion@cdah.example.org"];
    EXPECT_EQ(g.subject(), "Passerelle : Nouveau document reçu : " + title);
    EXPECT_NE(g.body().find("ADALEA vous a transmis un document dans Passerelle : " + title + "."), std::string::npos) << g.body();
    EXPECT_NE(g.body().find("Référence Passerelle : " + trn), std::string::npos) << g.body();
    EXPECT_NE(g.body().find(PUBLIC_URL + "/recus/" + trn + "\n"), std::string::npos) << g.body();
    EXPECT_NE(g.body().find(PUBLIC_URL + "/preferences"), std::string::npos);
    EXPECT_FALSE(g.header("Date").empty());
    EXPECT_NE(g.header("Message-ID").find("@passerelle.example.org>"), std::string::npos) << g.header("Message-ID");
    EXPECT_EQ(g.header("Content-Transfer-Encoding"), "quoted-printable");
    EXPECT_EQ(g.header("X-Passerelle-Kind"), "copy_received");
    // The SIAO's message names its own copy.
    const SinkMessage& s = to["accueil@siao22.example.org"];
    EXPECT_EQ(s.body().find("/recus/" + trn + "\n"), std::string::npos) << "the SIAO's copy has its own reference";
    EXPECT_NE(s.body().find(PUBLIC_URL + "/recus/trn_"), std::string::npos) << s.body();
    for (const auto& m : msgs) expectNoCanary(m);

    // Once: another pass, another notify of the same event, nothing new.
    EXPECT_EQ(mailLoop->deliverOnce(nowMs() + 3600000).value(), 0);
    storage::Transmission again = t.value();
    service::Notification n{"copy_received", bailleur, "", "", "grille-capacite-habiter", asso, trn, "/recus/" + trn};
    notifier->notify(n);
    EXPECT_EQ(mailLoop->deliverOnce(nowMs() + 7200000).value(), 0);
    EXPECT_EQ(sink.messages().size(), 2u);
    // Each message audited: queued and sent, with no address in the journal.
    EXPECT_EQ(countEvents("mail.queued"), 2u);
    EXPECT_EQ(countEvents("mail.sent"), 2u);
    for (const auto& e : auditOf(*store)) {
        EXPECT_EQ(e.details.find("@cdah.example.org"), std::string::npos) << e.details;
        EXPECT_EQ(e.details.find("@siao22"), std::string::npos) << e.details;
    }
    // Delivered messages keep their hash, not their text.
    for (const auto& q : mailOf(*mail)) {
        EXPECT_TRUE(q.deliveredAtMs.has_value());
        EXPECT_TRUE(q.message.empty());
        EXPECT_EQ(q.messageSha256.size(), 64u);
    }
}

TEST_P(MailFlowTest, RefusedByTheGateTellsTheReferentAndARefusingSinkGetsItOnceAfterTheRetry) {
    SmtpSink sink({"--refuse-first", "1"});
    auto mailLoop = loop(sink, *notifier);
    const std::string doc = grilleWithCanaries();
    auto t = transmissions->transmit(association, doc, other); // no consent for this landlord
    ASSERT_FALSE(t.isOk());
    EXPECT_EQ(t.status().errorCode(), "no_consent");

    const std::int64_t t0 = nowMs();
    EXPECT_EQ(mailLoop->deliverOnce(t0).value(), 0);
    EXPECT_EQ(sink.refusedCount(), 1);
    EXPECT_TRUE(sink.messages().empty());
    auto queued = mailOf(*mail);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].attempts, 1);
    EXPECT_EQ(queued[0].smtpStatus, 0);
    EXPECT_NE(queued[0].lastError.find("451"), std::string::npos) << queued[0].lastError;
    EXPECT_EQ(mailLoop->deliverOnce(t0 + 1000).value(), 0) << "not before the backoff";
    EXPECT_EQ(mailLoop->deliverOnce(t0 + 31000).value(), 1);
    EXPECT_EQ(mailLoop->deliverOnce(t0 + 3600000).value(), 0);
    auto msgs = sink.waitFor(1);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].rcpt(), "referente@adalea.example.org");
    EXPECT_EQ(msgs[0].subject(), "Passerelle : Transmission non effectuée : " +
                                     repoCatalog().forms->find("grille-capacite-habiter")->title);
    EXPECT_NE(msgs[0].body().find("Terre et Baie Habitat"), std::string::npos) << msgs[0].body();
    EXPECT_NE(msgs[0].body().find(PUBLIC_URL + "/documents/" + doc), std::string::npos) << msgs[0].body();
    expectNoCanary(msgs[0]);
    EXPECT_EQ(countEvents("mail.attempt"), 1u);
    EXPECT_EQ(countEvents("mail.sent"), 1u);
}

TEST_P(MailFlowTest, ARefusalWhoseReferentLeftGoesToTheAssociationsUsers) {
    const std::string doc = grilleWithCanaries();
    auto u = store->findUser(referent).value();
    u.disabledAt = "2026-11-30T00:00:00.000Z";
    ASSERT_TRUE(store->updateUser(u, {"user.disabled", asso, referent, "{}"}).isOk());
    service::Caller apiKey = association;
    apiKey.userId.clear(); // an API key: no person who acted
    ASSERT_FALSE(transmissions->transmit(apiKey, doc, other).isOk());
    std::set<std::string> to;
    for (const auto& q : mailOf(*mail)) {
        EXPECT_EQ(q.kind, "transmission_refused");
        to.insert(q.address);
    }
    EXPECT_EQ(to, (std::set<std::string>{"direction@adalea.example.org"})) << "the disabled référent gets nothing";
}

TEST_P(MailFlowTest, AMessageClaimedByAnInstanceThatDiedIsSentOnceByAnotherAfterTheLease) {
    SmtpSink sink;
    service::Notification n{"copy_received", bailleur, "", "", "grille-capacite-habiter", asso, "trn_0000000000000001",
                            "/recus/trn_0000000000000001"};
    notifier->notify(n);
    ASSERT_EQ(mailOf(*mail).size(), 2u); // gestion + cesf (ancien disabled)
    // Instance A claims both and dies before sending.
    const std::int64_t t0 = nowMs();
    auto claimed = mail->claimDue(t0, 10, 60000);
    ASSERT_TRUE(claimed.isOk());
    EXPECT_EQ(claimed.value().size(), 2u);
    // Instance B (its own store and pool on the same database) sees nothing while the lease runs, then sends each once.
    auto storeB = db->open();
    auto mailB = std::make_shared<storage::MailStore>(storeB);
    service::MailLoop loopB(mailB, std::make_shared<delivery::SmtpSender>(plainRelay(sink)), *notifier, settings);
    EXPECT_EQ(loopB.deliverOnce(t0 + 1000).value(), 0);
    EXPECT_EQ(loopB.deliverOnce(t0 + 61000).value(), 2);
    EXPECT_EQ(loopB.deliverOnce(t0 + 122000).value(), 0);
    EXPECT_EQ(sink.waitFor(2).size(), 2u);
    // A's late markDelivered changes nothing, a claim finds nothing.
    EXPECT_TRUE(mail->claimDue(t0 + 200000, 10, 60000).value().empty());
}

TEST_P(MailFlowTest, ConsentReminderGoesOnceToTheReferentAlsoFromASecondInstance) {
    SmtpSink sink;
    auto mailLoop = loop(sink, *notifier);
    std::string dossier;
    grilleWithCanaries(&dossier);
    // Expires in 10 days (inside the 30-day window); another in 60 days (outside).
    auto iso = [](std::int64_t s) { return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(s), "%Y-%m-%dT%H:%M:%SZ"); };
    const std::int64_t now = Poco::Timestamp().epochTime();
    const std::string soon = consent(dossier, bailleur, R"(,"expiresAt":")" + iso(now + 10 * 86400) + "\"");
    consent(dossier, other, R"(,"expiresAt":")" + iso(now + 60 * 86400) + "\"");
    auto first = mailLoop->remindOnce(now);
    ASSERT_TRUE(first.isOk()) << first.status().toString();
    EXPECT_EQ(first.value(), 1);
    EXPECT_EQ(mailLoop->remindOnce(now).value(), 0);
    auto storeB = db->open();
    service::MailLoop loopB(std::make_shared<storage::MailStore>(storeB),
                            std::make_shared<delivery::SmtpSender>(plainRelay(sink)), *notifier, settings);
    EXPECT_EQ(loopB.remindOnce(now + 3600).value(), 0) << "another instance, later: still once";
    EXPECT_EQ(mailLoop->deliverOnce(nowMs()).value(), 1);
    auto msgs = sink.waitFor(1);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].rcpt(), "referente@adalea.example.org");
    EXPECT_NE(msgs[0].subject().find("Un consentement arrive à échéance"), std::string::npos) << msgs[0].subject();
    EXPECT_NE(msgs[0].body().find("moins de 30 jours"), std::string::npos) << msgs[0].body();
    EXPECT_NE(msgs[0].body().find("Référence Passerelle : " + soon), std::string::npos) << msgs[0].body();
    EXPECT_NE(msgs[0].body().find("Côtes d'Armor Habitat"), std::string::npos);
    EXPECT_NE(msgs[0].body().find(PUBLIC_URL + "/dossiers/" + dossier), std::string::npos);
    expectNoCanary(msgs[0]);
    // 50 days later the second one is inside its window: reminded then, once.
    EXPECT_EQ(mailLoop->remindOnce(now + 50 * 86400).value(), 1);
    EXPECT_EQ(mailLoop->remindOnce(now + 50 * 86400).value(), 0);
}

TEST_P(MailFlowTest, SignatureAwaitedAndCompletedReachTheLandlordUsersAndTheReferentAndTheSigningLinkItsAddress) {
    SmtpSink sink;
    auto mailLoop = loop(sink, *notifier);
    TempDir seal;
    auto key = sign::SealKey::development(seal.path());
    ASSERT_TRUE(key.isOk()) << key.status().toString();
    service::SigningService signing(dossiers, key.value(), service::SigningOptions{}, *notifier);
    auto d = dossiers->createDossier(association, parse(R"({"reference":"CANARI-REF-2026-77"})"));
    ASSERT_TRUE(d.isOk());
    ASSERT_TRUE(store->setDossierReferent(d.value().id, referent).isOk());
    service::NewDocument nd;
    nd.form = "contrat-objectifs";
    nd.dossierId = d.value().id;
    nd.data = readJson(sourceDir() + "/examples/contrat-objectifs-revision-bail-glissant.json");
    auto doc = dossiers->createDocument(association, nd);
    ASSERT_TRUE(doc.isOk()) << doc.status().toString();
    const std::string docId = doc.value().document.id;
    auto started = signing.start(association, docId, parse(R"({"bailleur":"Côtes d'Armor Habitat"})"));
    ASSERT_TRUE(started.isOk()) << started.status().toString();
    EXPECT_EQ(mailLoop->deliverOnce(nowMs()).value(), 3); // cesf, gestion, référente
    auto msgs = byRecipient(sink.waitFor(3));
    ASSERT_EQ(msgs.size(), 3u);
    const std::string title = repoCatalog().forms->find("contrat-objectifs")->title;
    EXPECT_EQ(msgs["cesf@cdah.example.org"].subject(), "Passerelle : Signature attendue : " + title);
    EXPECT_NE(msgs["cesf@cdah.example.org"].body().find("ADALEA vous invite à signer"), std::string::npos);
    EXPECT_NE(msgs["cesf@cdah.example.org"].body().find(PUBLIC_URL + "/signatures/" + docId), std::string::npos);
    EXPECT_NE(msgs["referente@adalea.example.org"].body().find(PUBLIC_URL + "/documents/" + docId), std::string::npos);

    // Everyone signs: in person for the household and the association, then the landlord from its account.
    service::Caller landlord{bailleur, "Côtes d'Armor Habitat", storage::KIND_BAILLEUR, "", "", cesf, "", ""};
    const auto& sigs = started.value().record.signatories;
    for (const auto& s : sigs) {
        bool isLandlord = s.party == sign::PARTY_BAILLEUR;
        auto body = parse(std::string(R"({"method":")") + (isLandlord ? "account" : "in_person") +
                          R"(","witness":"Référente","accepted":true,"typedName":"Signé"})");
        auto r = signing.sign(isLandlord ? landlord : association, docId, s.id, body, {"127.0.0.1", "test"});
        ASSERT_TRUE(r.isOk()) << r.status().toString();
    }
    EXPECT_EQ(mailLoop->deliverOnce(nowMs()).value(), 3);
    auto all = sink.waitFor(6);
    ASSERT_EQ(all.size(), 6u);
    std::size_t completed = 0;
    for (const auto& m : all) {
        completed += m.subject() == "Passerelle : Document signé par tous : " + title;
        expectNoCanary(m);
        // The household members' names (from the contract) never appear either.
        for (const auto& s : sigs)
            if (s.party == "menage") EXPECT_EQ(m.raw.find(s.name), std::string::npos) << s.name;
    }
    EXPECT_EQ(completed, 3u);

    // The single-use link of a household member goes to the address given, the link itself in the body.
    service::Notification link{"signing_link", asso, "", "membre.menage@example.net", "contrat-objectifs", asso,
                               "sgl_0123456789abcdef", "/signer/jeton-secret-0123456789"};
    notifier->notify(link);
    EXPECT_EQ(mailLoop->deliverOnce(nowMs()).value(), 1);
    auto withLink = sink.waitFor(7);
    ASSERT_EQ(withLink.size(), 7u);
    const SinkMessage& l = withLink.back();
    EXPECT_EQ(l.rcpt(), "membre.menage@example.net");
    EXPECT_EQ(l.subject(), "Passerelle : Document à signer : " + title);
    EXPECT_NE(l.body().find(PUBLIC_URL + "/signer/jeton-secret-0123456789\n"), std::string::npos) << l.body();
    EXPECT_NE(l.body().find("ne sert qu’une fois"), std::string::npos);
    EXPECT_EQ(l.body().find("/preferences"), std::string::npos);
    // The secret link is in no audit entry and no longer in the outbox once delivered.
    for (const auto& e : auditOf(*store)) EXPECT_EQ(e.details.find("jeton-secret"), std::string::npos);
    for (const auto& q : mailOf(*mail, "sgl_0123456789abcdef")) EXPECT_EQ(q.message.find("jeton-secret"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, MailFlowTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

// ---------------------------------------------------------------------------
// A push that fails for good tells the référent (DeliveryLoop → notifier).

TEST(PushFailedTest, DeadWebhookPushTellsTheReferent) {
    TestDatabase db("sqlite");
    auto store = db.open();
    auto mail = std::make_shared<storage::MailStore>(store);
    service::MailSettings settings;
    settings.publicUrl = PUBLIC_URL;
    service::MailNotifier notifier(mail, [](const std::string&) { return std::string("Grille"); }, settings);
    auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
    auto dossiers = std::make_shared<const service::DossierService>(store, renderer);
    service::TransmissionService transmissions(store, renderer, service::Clock{}, notifier);
    auto asso = store->createOrganisation("ADALEA", storage::KIND_ASSOCIATION).value().id;
    auto bailleur = store->createOrganisation("Côtes d'Armor Habitat", storage::KIND_BAILLEUR).value().id;
    ASSERT_TRUE(store->createPartnership(asso, bailleur).isOk());
    storage::User u;
    u.organisationId = asso;
    u.email = "referente@adalea.example.org";
    u.name = "Référente";
    u.role = storage::ROLE_MEMBRE;
    u.passwordHash = "x";
    auto referent = store->createUser(u, {"user.created", asso, "", "{}"}).value().id;
    service::Caller caller{asso, "ADALEA", storage::KIND_ASSOCIATION, "", "", referent, "", ""};
    ASSERT_TRUE(store->setWebhook(bailleur, "http://127.0.0.1:1/webhook", {"webhook.set", bailleur, bailleur, "{}"}).isOk());
    ASSERT_TRUE(store->setInPersonConsentAllowed(asso, bailleur, true, {"partnership.in_person_consent", "system", bailleur, "{}"}).isOk());
    auto d = dossiers->createDossier(caller, parse(R"({"reference":"CANARI-REF-2026-77","menage":{"membres":[{"nom":"X"}]}})")).value();
    ASSERT_TRUE(store->setDossierReferent(d.id, referent).isOk());
    service::NewDocument nd;
    nd.form = "grille-capacite-habiter";
    nd.dossierId = d.id;
    nd.data = readJson(sourceDir() + "/examples/grille-capacite-habiter-cotes-darmor-initiale.json");
    auto doc = dossiers->createDocument(caller, nd).value().document.id;
    auto c = transmissions.recordConsent(caller, d.id, parse(R"({"kind":"consent","recipient":")" + bailleur +
                                                             R"(","givenBy":{"name":"X","capacity":"household_member"},)"
                                                             R"("scope":{"documentKinds":["grille-capacite-habiter"],"categories":["logement"]},)"
                                                             R"("purpose":"p","how":{"method":"in_person","recordedBy":"R"}})"));
    ASSERT_TRUE(c.isOk()) << c.status().toString();
    auto t = transmissions.transmit(caller, doc, bailleur);
    ASSERT_TRUE(t.isOk()) << t.status().toString();
    service::DeliveryLoop push(store, store, std::make_shared<delivery::HttpSender>(1), repoCatalog().forms, delivery::RetryPolicy{1, 1, 1});
    push.setNotifier(notifier);
    ASSERT_TRUE(push.runOnce(nowMs()).isOk());
    auto queued = mailOf(*mail, t.value().id);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].kind, "push_failed");
    EXPECT_EQ(queued[0].address, "referente@adalea.example.org");
    std::istringstream qp(queued[0].message.substr(queued[0].message.find("\r\n\r\n") + 4));
    Poco::Net::QuotedPrintableDecoder dec(qp);
    const std::string body((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    EXPECT_NE(body.find("au service de réception de Côtes d'Armor Habitat a définitivement échoué"), std::string::npos) << body;
    EXPECT_NE(body.find(PUBLIC_URL + "/documents/" + doc), std::string::npos) << body;
}

// ---------------------------------------------------------------------------
// The preferences page.

TEST(PreferencesPageTest, DefaultAllOnThenSavedForThisUserOnlyAndAudited) {
    TestDatabase db("sqlite");
    auto store = db.open();
    auto mail = std::make_shared<storage::MailStore>(store);
    auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
    auto dossiers = std::make_shared<const service::DossierService>(store, renderer);
    auto transmissions = std::make_shared<const service::TransmissionService>(store, renderer);
    auto accounts = std::make_shared<const service::AccountService>(store, service::AccountSettings{});
    auto views = web::Views::load(sourceDir() + "/web/views");
    ASSERT_TRUE(views.isOk()) << views.status().toString();
    web::WebSettings ws;
    ws.staticDir = sourceDir() + "/web/static";
    web::WebApp app(views.value(), accounts, ws);
    auto router = std::make_shared<http::Router>();
    web::addWebRoutes(*router, app, web::WebServices{dossiers, transmissions});
    web::addPreferencesRoutes(*router, app, std::make_shared<const service::NotificationPreferences>(mail), false);
    web::addWebFallback(*router, app);
    http::ServerConfig config;
    config.port = 0;
    http::Server server(config, router);
    server.start();
    store->createOrganisation("Côtes d'Armor Habitat", storage::KIND_BAILLEUR);
    const std::string password = "un mot de passe solide 2026";
    auto cesf = accounts->createUser(std::nullopt, service::NewUser{"Côtes d'Armor Habitat", "cesf@cdah.example.org", "Paul Bernard",
                                                                    "membre", password});
    ASSERT_TRUE(cesf.isOk()) << cesf.status().toString();
    auto other = accounts->createUser(std::nullopt, service::NewUser{"Côtes d'Armor Habitat", "gestion@cdah.example.org", "Anne Morvan",
                                                                     "membre", password});
    ASSERT_TRUE(other.isOk());

    // A tiny browser: cookies, CSRF from the page.
    std::map<std::string, std::string> cookies;
    auto send = [&](const std::string& method, const std::string& path, const std::string& body) {
        HttpOptions o;
        std::string c;
        for (const auto& [k, v] : cookies) c += (c.empty() ? "" : "; ") + k + "=" + v;
        if (!c.empty()) o.headers["Cookie"] = c;
        auto r = httpRequest(server.port(), method, path, body, "application/x-www-form-urlencoded", o);
        std::string set = r.header("set-cookie");
        if (!set.empty()) {
            std::string pair = set.substr(0, set.find(';'));
            cookies[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
        }
        return r;
    };
    auto csrf = [&](const std::string& path) {
        std::smatch m;
        std::string body = send("GET", path, "").body;
        return std::regex_search(body, m, std::regex("name=\"_csrf\" value=\"([0-9a-f]+)\"")) ? std::string(m[1]) : "";
    };
    auto enc = [](const std::string& v) {
        std::string e;
        Poco::URI::encode(v, "&=+%#?/ @", e);
        return e;
    };
    EXPECT_EQ(send("GET", "/preferences", "").status, 303) << "signed-in page";
    auto signin = send("POST", "/connexion", "_csrf=" + csrf("/connexion") + "&email=" + enc("cesf@cdah.example.org") +
                                                 "&password=" + enc(password));
    ASSERT_EQ(signin.status, 303) << signin.body;

    auto page = send("GET", "/preferences", "");
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("<h1>Mes notifications</h1>"), std::string::npos);
    EXPECT_NE(page.body.find("cesf@cdah.example.org"), std::string::npos);
    EXPECT_NE(page.body.find("L’envoi de courriels n’est pas activé sur ce serveur"), std::string::npos);
    for (const char* k : {"copy_received", "transmission_refused", "push_failed", "signature_awaited", "signature_completed",
                          "consent_expiring"})
        EXPECT_NE(page.body.find(std::string("value=\"") + k + "\" checked"), std::string::npos) << k << " on by default";
    EXPECT_EQ(page.body.find("signing_link"), std::string::npos) << "not a user's choice";

    // Without the CSRF token: refused.
    EXPECT_EQ(send("POST", "/preferences", "notifications=copy_received").status, 403);
    const std::string token = csrf("/preferences");
    auto saved = send("POST", "/preferences", "_csrf=" + token + "&notifications=signature_awaited&notifications=consent_expiring");
    ASSERT_EQ(saved.status, 303) << saved.body;
    EXPECT_EQ(saved.header("location"), "/preferences?fait=1");
    auto after = send("GET", "/preferences?fait=1", "");
    EXPECT_NE(after.body.find("Vos préférences de notification sont enregistrées."), std::string::npos);
    EXPECT_NE(after.body.find("value=\"signature_awaited\" checked"), std::string::npos);
    EXPECT_EQ(after.body.find("value=\"copy_received\" checked"), std::string::npos);
    // An unknown kind: a French 400, nothing saved.
    auto bad = send("POST", "/preferences", "_csrf=" + token + "&notifications=tout");
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find("Type de notification inconnu"), std::string::npos) << bad.body;

    auto mine = mail->preferences(cesf.value().user.id).value();
    EXPECT_FALSE(mine["copy_received"]);
    EXPECT_TRUE(mine["signature_awaited"]);
    EXPECT_TRUE(mail->preferences(other.value().user.id).value().empty()) << "another user keeps the defaults";
    std::size_t audited = 0;
    for (const auto& e : auditOf(*store)) {
        audited += e.event == "notifications.preferences";
    }
    EXPECT_EQ(audited, 1u);
    server.stop();
}

} // namespace
} // namespace passerelle::testing
