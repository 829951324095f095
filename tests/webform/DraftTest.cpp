// Drafts: the store (migration 5) on SQLite and, when PASSERELLE_TEST_PG is set, on
// PostgreSQL; and the use cases with their access rules (DraftService).
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "service/DraftService.h"
#include "storage/DraftStore.h"
#include "storage/StoreBackends.h"
#include "support/TestSupport.h"

namespace passerelle {
namespace {

using storage::Draft;

class DraftTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<testing::TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        store = db->open();
        drafts = std::make_shared<storage::PocoDraftStore>(store);
        renderer = std::make_shared<const service::RenderService>(testing::repoCatalog());
        dossiers = std::make_shared<const service::DossierService>(store, renderer);
        service = std::make_shared<const service::DraftService>(drafts, dossiers);
        mine = caller("ADGESTI");
        theirs = caller("Habitat Solidaire");
        storage::Dossier d;
        d.associationId = mine.organisationId;
        d.reference = "ADG-2026-0147";
        d.statut = "ouvert";
        d.menageJson = R"({"membres":[{"nom":"Benali","prenom":"Samira"}]})";
        d.logementJson = "{}";
        dossierId = store->createDossier(d).value().id;
    }

    service::Caller caller(const std::string& name) {
        auto o = store->createOrganisation(name, storage::KIND_ASSOCIATION).value();
        service::Caller c;
        c.organisationId = o.id;
        c.organisationName = o.name;
        c.kind = o.kind;
        c.userId = "usr_" + o.id.substr(4);
        c.userName = "Claire Lefèvre";
        return c;
    }

    std::unique_ptr<testing::TestDatabase> db;
    std::shared_ptr<storage::PocoStore> store;
    std::shared_ptr<storage::PocoDraftStore> drafts;
    std::shared_ptr<const service::RenderService> renderer;
    std::shared_ptr<const service::DossierService> dossiers;
    std::shared_ptr<const service::DraftService> service;
    service::Caller mine, theirs;
    std::string dossierId;
};

TEST_P(DraftTest, StoreSavesInvalidValuesAndClosesOnce) {
    Draft d;
    d.ownerOrganisationId = mine.organisationId;
    d.dossierId = dossierId;
    d.form = "fiche-navette";
    d.variant = "standard";
    d.valuesJson = "{}";
    d.createdByUserId = "usr_1";
    auto created = drafts->createDraft(d);
    ASSERT_TRUE(created.isOk()) << created.status().toString();
    EXPECT_EQ(created.value().id.rfind("brl_", 0), 0u);
    EXPECT_EQ(created.value().version, 1);
    // Anything typed, invalid included, accents and quotes kept byte for byte.
    const std::string typed = R"({"date":"pas une date","observations":"« L’été » \"quoted\" ñ"})";
    auto saved = drafts->saveDraft(created.value().id, "standard", typed, "usr_2");
    ASSERT_TRUE(saved.isOk()) << saved.status().toString();
    EXPECT_EQ(saved.value().version, 2);
    EXPECT_EQ(drafts->findDraft(created.value().id).value().valuesJson, typed);
    EXPECT_EQ(drafts->findDraft(created.value().id).value().updatedByUserId, "usr_2");
    auto open = drafts->listOpenDrafts(dossierId, "");
    ASSERT_TRUE(open.isOk());
    ASSERT_EQ(open.value().size(), 1u);

    // Closing needs a document that exists (foreign keys are not checked on this column: a plain id).
    auto closed = drafts->markFinalised(created.value().id, "doc_0000000000000001", 1);
    ASSERT_TRUE(closed.isOk()) << closed.status().toString();
    EXPECT_FALSE(closed.value().open());
    EXPECT_EQ(drafts->markFinalised(created.value().id, "doc_0000000000000002", 2).status().errorCode(), "draft_finalised");
    EXPECT_EQ(drafts->saveDraft(created.value().id, "standard", "{}", "usr_2").status().errorCode(), "draft_finalised");
    EXPECT_TRUE(drafts->listOpenDrafts(dossierId, "").value().empty());
    EXPECT_EQ(drafts->findDraft("brl_0000000000000000").status().code(), Status::Code::NotFound);
}

TEST_P(DraftTest, AnotherOrganisationSeesNoDraft) {
    auto d = service->create(mine, {"fiche-navette", "", dossierId, "", ""});
    ASSERT_TRUE(d.isOk()) << d.status().toString();
    for (auto st : {service->get(theirs, d.value().id).status(),
                    service->save(theirs, d.value().id, new Poco::JSON::Object).status(),
                    service->finalise(theirs, d.value().id).status().code() == Status::Code::NotFound
                        ? Status::notFound("draft_not_found", "")
                        : Status::internal("x", "finalise answered otherwise"),
                    service->preview(theirs, d.value().id, "pdf").status()}) {
        EXPECT_EQ(st.code(), Status::Code::NotFound) << st.toString();
    }
    // Nor may it start one on my dossier.
    EXPECT_EQ(service->create(theirs, {"fiche-navette", "", dossierId, "", ""}).status().code(), Status::Code::NotFound);
    EXPECT_TRUE(service->listForDossier(theirs, dossierId).status().code() == Status::Code::NotFound);
}

TEST_P(DraftTest, TheGrilleVariantIsNeverGuessed) {
    auto none = service->create(mine, {"grille-capacite-habiter", "", dossierId, "", ""});
    EXPECT_EQ(none.status().errorCode(), "variant_required");
    auto bad = service->create(mine, {"grille-capacite-habiter", "bretagne", dossierId, "", ""});
    EXPECT_EQ(bad.status().errorCode(), "variant_not_found");
    auto ok = service->create(mine, {"grille-capacite-habiter", "cotes-darmor", dossierId, "", ""});
    ASSERT_TRUE(ok.isOk()) << ok.status().toString();
    EXPECT_EQ(ok.value().variant, "cotes-darmor");
}

TEST_P(DraftTest, FinaliseValidatesThenCreatesTheDocumentAndARevisionStartsFromIt) {
    auto d = service->create(mine, {"fiche-navette", "", dossierId, "", ""});
    ASSERT_TRUE(d.isOk());
    // Invalid: every error comes back, the draft keeps what was typed, no document.
    Poco::JSON::Parser p;
    auto partial = p.parse(R"({"date":"22/11/2026","observations":"À revoir"})").extract<Poco::JSON::Object::Ptr>();
    ASSERT_TRUE(service->save(mine, d.value().id, partial).isOk());
    auto refused = service->finalise(mine, d.value().id);
    ASSERT_EQ(refused.status().errorCode(), "validation_failed");
    bool dateFormat = false;
    for (const auto& e : refused.status().details()) dateFormat = dateFormat || (e.path == "/date" && e.rule == "date_format");
    EXPECT_TRUE(dateFormat);
    EXPECT_TRUE(service->get(mine, d.value().id).value().open());
    EXPECT_NE(service->get(mine, d.value().id).value().valuesJson.find("22/11/2026"), std::string::npos);
    EXPECT_EQ(dossiers->listDocuments(mine, {dossierId, "", "", 50, 0}).value().total, 0);
    EXPECT_EQ(service->preview(mine, d.value().id, "pdf").status().errorCode(), "validation_failed");

    // Valid: the preview is marked BROUILLON; finalising stores the document and closes the draft.
    auto example = testing::readJson(testing::sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    ASSERT_TRUE(service->save(mine, d.value().id, example).isOk());
    auto preview = service->preview(mine, d.value().id, "pdf");
    ASSERT_TRUE(preview.isOk()) << preview.status().toString();
    EXPECT_NE(testing::pdfToText(preview.value().bytes).find("BROUILLON"), std::string::npos);
    EXPECT_EQ(service->preview(mine, d.value().id, "xlsx").status().code(), Status::Code::NotFound) << "no XLSX for this form";
    auto doc = service->finalise(mine, d.value().id);
    ASSERT_TRUE(doc.isOk()) << doc.status().toString();
    EXPECT_EQ(doc.value().revision.number, 1);
    auto rendition = dossiers->getRendition(mine, doc.value().document.id, "pdf", 1);
    ASSERT_TRUE(rendition.isOk());
    EXPECT_EQ(testing::pdfToText(rendition.value().bytes).find("BROUILLON"), std::string::npos);
    EXPECT_FALSE(service->get(mine, d.value().id).value().open());
    EXPECT_EQ(service->finalise(mine, d.value().id).status().errorCode(), "draft_finalised");
    EXPECT_EQ(service->save(mine, d.value().id, example).status().errorCode(), "draft_finalised");

    // A new revision starts from the current values; revision 1 stays readable.
    auto rev = service->create(mine, {"", "", "", "", doc.value().document.id});
    ASSERT_TRUE(rev.isOk()) << rev.status().toString();
    EXPECT_EQ(rev.value().baseRevision, 1);
    auto values = service::DraftService::values(rev.value());
    EXPECT_EQ(values->getObject("logement")->getValue<std::string>("adresse"),
              example->getObject("logement")->getValue<std::string>("adresse"));
    values->getObject("logement")->set("adresse", "14 rue des Tanneurs");
    ASSERT_TRUE(service->save(mine, rev.value().id, values).isOk());
    auto second = service->finalise(mine, rev.value().id);
    ASSERT_TRUE(second.isOk()) << second.status().toString();
    EXPECT_EQ(second.value().revision.number, 2);
    EXPECT_NE(testing::pdfToText(dossiers->getRendition(mine, doc.value().document.id, "pdf", 1).value().bytes)
                  .find(example->getObject("logement")->getValue<std::string>("adresse")),
              std::string::npos);
    EXPECT_NE(testing::pdfToText(dossiers->getRendition(mine, doc.value().document.id, "pdf", 2).value().bytes)
                  .find("14 rue des Tanneurs"),
              std::string::npos);
    // Another organisation cannot start a revision of my document.
    EXPECT_EQ(service->create(theirs, {"", "", "", "", doc.value().document.id}).status().code(), Status::Code::NotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, DraftTest, ::testing::ValuesIn(testing::storeBackends()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return testing::backendName(i.param); });

} // namespace
} // namespace passerelle
