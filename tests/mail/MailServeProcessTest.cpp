// The real executable: `passerelle serve --config FILE --smtp-host H --smtp-port P`
// sends the landlord's users an e-mail when a copy arrives, through the
// durable outbox, to a sink that refuses the first attempt (451): the message
// arrives once after the retry, in French, with the link under
// passerelle.public-url; a restart sends nothing again; the relay password of
// the properties file never appears in what serve prints. SQLite always,
// PostgreSQL (--db) when PASSERELLE_TEST_PG is set.
#include "api/ServeProcess.h"
#include "mail/SmtpSink.h"

namespace passerelle::testing {
namespace {

using Clock = std::chrono::steady_clock;

class MailServeProcessTest : public ProcessTest {};

TEST_P(MailServeProcessTest, CopyReceivedMailArrivesOnceAfterARefusalAndARestartSendsNothingMore) {
    SmtpSink sink({"--refuse-first", "1", "--auth", "relais:ne-pas-journaliser-0042"});
    TempDir conf;
    writeFile(conf.file("passerelle.properties"),
              "passerelle.smtp.user = relais\n"
              "passerelle.smtp.password = ne-pas-journaliser-0042\n"
              "passerelle.smtp.starttls = off\n"
              "passerelle.smtp.from = Passerelle <notifications@passerelle.example.org>\n"
              "passerelle.public-url = https://passerelle.example.org\n"
              "passerelle.notifications.interval-ms = 200\n"
              "passerelle.notifications.retry-base-ms = 300\n");
    std::vector<std::string> args = dbArgs;
    args.insert(args.end(), {"--config", conf.file("passerelle.properties"), "--smtp-host", "127.0.0.1", "--smtp-port",
                             std::to_string(sink.port())});

    ASSERT_EQ(admin({"create-org", "ADALEA", "--kind", "association"}).exitCode, 0);
    ASSERT_EQ(admin({"create-org", "Côtes d'Armor Habitat", "--kind", "bailleur"}).exitCode, 0);
    ASSERT_EQ(admin({"create-partnership", "ADALEA", "Côtes d'Armor Habitat"}).exitCode, 0);
    ASSERT_EQ(admin({"set-partnership-in-person", "ADALEA", "Côtes d'Armor Habitat", "on"}).exitCode, 0);
    auto u = admin({"create-user", "Côtes d'Armor Habitat", "cesf@cdah.example.org", "--name", "Paul Bernard", "--role", "membre"});
    ASSERT_EQ(u.exitCode, 0) << u.out << u.err;
    const std::string keyA = keyIn(admin({"create-key", "ADALEA"}).out);
    ASSERT_FALSE(keyA.empty());

    std::string output, trn;
    {
        ServeProcess server(args);
        auto dossier = server.call("POST", "/v1/dossiers", keyA, R"({"reference":"CANARI-REF-0042","menage":{"membres":[{"nom":"CANARI-Le-Gall"}]}})");
        ASSERT_EQ(dossier.status, 201) << dossier.body;
        const std::string dossierId = dossier.json()->getValue<std::string>("id");
        auto d = server.call("POST", "/v1/documents", keyA,
                             documentBody("fiche-navette", dossierId, "", "fiche-navette-association-vers-bailleur.json"));
        ASSERT_EQ(d.status, 201) << d.body;
        const std::string doc = d.json()->getValue<std::string>("id");
        const std::string consent = R"({"kind":"consent","recipient":"Côtes d'Armor Habitat",
            "givenBy":{"name":"CANARI-Le-Gall","capacity":"household_member"},
            "scope":{"documentKinds":["fiche-navette"],"categories":["logement","identite","partenaire"]},
            "purpose":"Préparer la commission d'attribution.",
            "how":{"method":"in_person","recordedBy":"Gwenaëlle Le Bihan"}})";
        ASSERT_EQ(server.call("POST", "/v1/dossiers/" + dossierId + "/consents", keyA, consent).status, 201);
        auto t = server.call("POST", "/v1/documents/" + doc + "/transmit", keyA, R"({"to":"Côtes d'Armor Habitat"})");
        ASSERT_EQ(t.status, 201) << t.body;
        trn = t.json()->getValue<std::string>("id");
        auto msgs = sink.waitFor(1, 20000);
        ASSERT_EQ(msgs.size(), 1u) << "no e-mail within 20 s";
        EXPECT_EQ(sink.refusedCount(), 1) << "the first attempt was refused, the retry delivered";
        EXPECT_EQ(msgs[0].rcpt(), "cesf@cdah.example.org");
        EXPECT_TRUE(msgs[0].authenticated());
        EXPECT_EQ(msgs[0].subject().rfind("Passerelle : Nouveau document reçu : ", 0), 0u) << msgs[0].subject();
        EXPECT_NE(msgs[0].body().find("https://passerelle.example.org/recus/" + trn), std::string::npos) << msgs[0].body();
        EXPECT_EQ(msgs[0].raw.find("CANARI"), std::string::npos) << msgs[0].raw;
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        output = server.stop();
    }
    EXPECT_NE(output.find("Courriel : relais 127.0.0.1:" + std::to_string(sink.port())), std::string::npos) << output;
    EXPECT_EQ(output.find("ne-pas-journaliser-0042"), std::string::npos) << "the relay password in serve's output";
    {
        ServeProcess again(args);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        again.stop();
    }
    EXPECT_EQ(sink.messages().size(), 1u) << "sent once, also across a restart";
    // The journal still verifies with the mail events in it.
    std::vector<std::string> audit{PASSERELLE_BINARY, "audit", "verify"};
    audit.insert(audit.end(), dbArgs.begin(), dbArgs.end());
    auto verified = run(audit);
    EXPECT_EQ(verified.exitCode, 0) << verified.out << verified.err;

    // `admin send-test-mail` checks the relay settings: one French message, straight to the relay.
    std::vector<std::string> test{PASSERELLE_BINARY, "admin", "send-test-mail", "exploitation@example.org",
                                  "--config", conf.file("passerelle.properties"), "--smtp-host", "127.0.0.1",
                                  "--smtp-port", std::to_string(sink.port())};
    auto sent = run(test);
    EXPECT_EQ(sent.exitCode, 0) << sent.out << sent.err;
    EXPECT_NE(sent.out.find("Message d’essai accepté par le relais 127.0.0.1:"), std::string::npos) << sent.out;
    auto all = sink.waitFor(2);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1].rcpt(), "exploitation@example.org");
    EXPECT_EQ(all[1].subject(), "Passerelle : message d’essai");
    auto none = run({PASSERELLE_BINARY, "admin", "send-test-mail", "exploitation@example.org"});
    EXPECT_NE(none.exitCode, 0);
    EXPECT_NE(none.err.find("aucun relais SMTP configuré"), std::string::npos) << none.err;
}

INSTANTIATE_TEST_SUITE_P(Backends, MailServeProcessTest, ::testing::ValuesIn(storeBackends()),
                         [](const auto& info) { return backendName(info.param); });

} // namespace
} // namespace passerelle::testing
