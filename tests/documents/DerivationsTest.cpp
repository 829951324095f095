// The computed figures of the shared documents: taux d'effort, plan d'apurement,
// sub-lease and contract periods (pure functions), then the same rules through
// forms::fill on the repository's forms: rejections name the field (JSON pointer)
// and a stable rule code.
#include <gtest/gtest.h>

#include <random>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "forms/Derivations.h"
#include "forms/Validator.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::forms;
using namespace passerelle::testing;
using money::Cents;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Date d(const char* iso) { return *Date::parseIso(iso); }

Object::Ptr example(const std::string& name) { return readJson(sourceDir() + "/examples/" + name); }

std::shared_ptr<const FormDef> form(const std::string& id) {
    auto f = repoCatalog().forms->find(id);
    if (!f) throw std::runtime_error("unknown form " + id);
    return f;
}

// Errors of fill(); empty when the document is valid.
std::vector<FieldError> fillErrors(const std::string& formId, const Object::Ptr& data) {
    auto r = fill(form(formId), data);
    return r.isOk() ? std::vector<FieldError>{} : r.status().details();
}

// Exactly one error, on `path`, with `rule`.
void expectOnly(const std::vector<FieldError>& errors, const std::string& path, const std::string& rule, const std::string& what) {
    ASSERT_EQ(errors.size(), 1u) << what << ": " << (errors.empty() ? "no error" : errors[0].path + " " + errors[0].rule);
    EXPECT_EQ(errors[0].path, path) << what;
    EXPECT_EQ(errors[0].rule, rule) << what;
    EXPECT_FALSE(errors[0].message.empty()) << what;
}

void checkPlan(const PlanApurement& p, Cents dette, const std::string& what) {
    ASSERT_TRUE(p.ok()) << what << ": " << p.error->rule;
    ASSERT_FALSE(p.echeances.empty()) << what;
    Cents sum = 0, restant = dette;
    for (std::size_t i = 0; i < p.echeances.size(); ++i) {
        const Echeance& e = p.echeances[i];
        ASSERT_GT(e.montant, 0) << what << " #" << i;
        sum += e.montant;
        restant -= e.montant;
        ASSERT_EQ(e.restantDu, restant) << what << " #" << i;
    }
    EXPECT_EQ(sum, dette) << what;
    EXPECT_EQ(p.echeances.back().restantDu, 0) << what;
    EXPECT_LE(static_cast<int>(p.echeances.size()), kMaxEcheancesApurement) << what;
}

} // namespace

// ---- Taux d'effort ------------------------------------------------------------------------------

TEST(TauxEffort, ExactRatioInHundredthsOfAPercent) {
    EXPECT_EQ(tauxEffort(31240, 9500, 110000, 18000), 2067);     // 227,40 / 1 100 = 20,6727… %
    EXPECT_EQ(tauxEffort(40200, 9000, 165000), 2982);            // 492 / 1 650 = 29,818… %
    EXPECT_EQ(tauxEffort(38860, 12140, 148000, 21400), 2000);    // exactly 20 %
    EXPECT_EQ(tauxEffort(25000, 0, 100000), 2500);               // exactly the threshold
    EXPECT_EQ(tauxEffort(0, 0, 100000), 0);
}

TEST(TauxEffort, RoundsHalfUpToTheNearestHundredth) {
    EXPECT_EQ(tauxEffort(25001, 0, 100000), 2500); // 25,001 % → 25,00 %
    EXPECT_EQ(tauxEffort(25004, 0, 100000), 2500); // 25,004 %
    EXPECT_EQ(tauxEffort(25005, 0, 100000), 2501); // 25,005 % (exact half) → 25,01 %
    EXPECT_EQ(tauxEffort(1, 0, 20000), 1);         // 0,005 % → 0,01 %
    EXPECT_EQ(tauxEffort(1, 0, 20001), 0);         // just under half
    EXPECT_EQ(tauxEffort(1, 0, 3), 3333);          // 33,333… %
    EXPECT_EQ(tauxEffort(2, 0, 3), 6667);          // 66,666… %
}

TEST(TauxEffort, UndefinedOrOutOfRangeInputs) {
    EXPECT_FALSE(tauxEffort(30000, 5000, 0));            // no resources
    EXPECT_FALSE(tauxEffort(30000, 5000, -100));
    EXPECT_FALSE(tauxEffort(-1, 0, 100000));
    EXPECT_FALSE(tauxEffort(30000, 5000, 100000, 35001)); // aid above the cost
    EXPECT_EQ(tauxEffort(30000, 5000, 100000, 35000), 0); // aid equal to the cost
    // Extreme amounts do not overflow (the computation is done on 128 bits).
    EXPECT_EQ(tauxEffort(1'000'000'000'000'000LL, 0, 1'000'000'000'000'000LL), 10000);
    EXPECT_EQ(tauxEffort(10'000'000LL, 10'000'000LL, 1), 200'000'000'000LL);
}

TEST(TauxEffort, ThresholdIsStrictOnTheDisplayedFigure) {
    EXPECT_FALSE(depasseSeuil(2500, kSeuilTauxEffortParDefaut));
    EXPECT_TRUE(depasseSeuil(2501, kSeuilTauxEffortParDefaut));
    EXPECT_FALSE(depasseSeuil(*tauxEffort(25004, 0, 100000), 2500)) << "25,004 % shows as 25,00 %: not flagged";
}

TEST(TauxEffort, ContractShowsTheFigureAndFlagsItAboveTheThreshold) {
    struct Case { const char* loyer; const char* seuil; bool flagged; double taux; };
    const Case cases[] = {
        {"250.00", nullptr, false, 25.0},  // 250 + 0 − 0 over 1 000: exactly 25 %
        {"250.05", nullptr, true, 25.01},  // 25,005 % → 25,01 %: above
        {"250.04", nullptr, false, 25.0},  // 25,004 % → 25,00 %: not above
        {"250.05", "30", false, 25.01},    // partnership threshold 30 %
        {"300.01", "30", false, 30.0},     // 30,001 % shows as 30,00 %: not above 30 %
    };
    for (const auto& c : cases) {
        auto copy = example("contrat-objectifs-amli-acces.json");
        auto l = copy->getObject("logement");
        l->set("loyer", c.loyer);
        l->set("charges", "0");
        l->remove("aideLogement");
        l->set("ressourcesMensuelles", "1000.00");
        if (c.seuil) l->set("seuilTauxEffort", std::stod(c.seuil));
        auto r = fill(form("contrat-objectifs"), copy);
        ASSERT_TRUE(r.isOk()) << c.loyer << " " << r.status().toString();
        auto out = r.value().data->getObject("logement");
        EXPECT_DOUBLE_EQ(out->getValue<double>("tauxEffort"), c.taux) << c.loyer;
        EXPECT_EQ(out->has("mentionTauxEffort"), c.flagged) << c.loyer << " seuil " << (c.seuil ? c.seuil : "25");
        EXPECT_DOUBLE_EQ(out->getValue<double>("seuilTauxEffortApplique"), c.seuil ? std::stod(c.seuil) : 25.0);
        EXPECT_EQ(out->getValue<std::string>("loyerResiduel"), std::string(c.loyer)) << c.loyer;
    }
}

TEST(TauxEffort, ZeroResourcesGiveAMentionNotAFigure) {
    auto data = example("contrat-objectifs-amli-acces.json");
    data->getObject("logement")->set("ressourcesMensuelles", "0");
    auto r = fill(form("contrat-objectifs"), data);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    auto out = r.value().data->getObject("logement");
    EXPECT_FALSE(out->has("tauxEffort"));
    EXPECT_NE(out->getValue<std::string>("mentionTauxEffort").find("non calculable"), std::string::npos);
}

TEST(TauxEffort, AidAboveTheCostIsRejectedOnTheAidField) {
    auto data = example("contrat-objectifs-amli-acces.json");
    data->getObject("logement")->set("aideLogement", "407.41"); // loyer + charges = 407,40
    expectOnly(fillErrors("contrat-objectifs", data), "/logement/aideLogement", "aide_superieure_depense", "aid > cost");
}

// ---- Plan d'apurement ---------------------------------------------------------------------------

TEST(PlanApurement, ByMonthlyAmountTheLastInstalmentSettlesTheRest) {
    auto p = planApurementParMensualite(348217, 15000, d("2026-09-30"));
    checkPlan(p, 348217, "3 482,17 € at 150 €");
    ASSERT_EQ(p.echeances.size(), 24u);
    EXPECT_EQ(p.echeances[22].montant, 15000);
    EXPECT_EQ(p.echeances[22].restantDu, 3217);
    EXPECT_EQ(p.echeances[23].montant, 3217);
    EXPECT_EQ(p.echeances[23].date, d("2028-08-30"));
    EXPECT_EQ(p.echeances[5].date, d("2027-02-28")) << "30th clamped to February's end";
    EXPECT_EQ(p.echeances[17].date, d("2028-02-29")) << "leap year";
    EXPECT_EQ(p.echeances[6].date, d("2027-03-30")) << "counted from the first due date, not chained";
}

TEST(PlanApurement, ByNumberOfInstalmentsTheLastAbsorbsTheRemainder) {
    auto p = planApurementParNombre(127550, 18, d("2027-10-05"));
    checkPlan(p, 127550, "1 275,50 € in 18");
    ASSERT_EQ(p.echeances.size(), 18u);
    for (std::size_t i = 0; i + 1 < 18; ++i) EXPECT_EQ(p.echeances[i].montant, 7086);
    EXPECT_EQ(p.echeances[17].montant, 7088);
    EXPECT_EQ(p.echeances[17].date, d("2029-03-05"));
}

TEST(PlanApurement, MonthEndsAndLeapYearsInDueDates) {
    auto p = planApurementParNombre(30000, 4, d("2028-01-31"));
    checkPlan(p, 30000, "from 31/01/2028");
    EXPECT_EQ(p.echeances[0].date, d("2028-01-31"));
    EXPECT_EQ(p.echeances[1].date, d("2028-02-29"));
    EXPECT_EQ(p.echeances[2].date, d("2028-03-31"));
    EXPECT_EQ(p.echeances[3].date, d("2028-04-30"));
    auto q = planApurementParNombre(30000, 3, d("2026-12-31"));
    EXPECT_EQ(q.echeances[1].date, d("2027-01-31"));
    EXPECT_EQ(q.echeances[2].date, d("2027-02-28"));
}

TEST(PlanApurement, SumsToTheDebtToTheCentForARangeOfAmounts) {
    // Every debt from 0,01 € to 60,00 € with every monthly amount that gives at most 36 instalments...
    int plans = 0;
    for (Cents dette = 1; dette <= 6000; dette += 1) {
        for (Cents m = (dette + 35) / 36; m <= dette; m += 1 + m / 7) {
            checkPlan(planApurementParMensualite(dette, m, d("2026-01-31")), dette,
                      "dette " + std::to_string(dette) + " mensualité " + std::to_string(m));
            ++plans;
        }
        for (int n = 1; n <= 36 && n <= dette; n += 5)
            checkPlan(planApurementParNombre(dette, n, d("2026-01-31")), dette, "dette " + std::to_string(dette) + " n " + std::to_string(n));
    }
    // ...and random large debts (up to 100 000 €).
    std::mt19937_64 rng(20260316);
    for (int i = 0; i < 20000; ++i) {
        Cents dette = static_cast<Cents>(rng() % 10'000'000) + 1;
        Cents minimum = (dette + 35) / 36;
        Cents m = minimum + static_cast<Cents>(rng() % static_cast<std::uint64_t>(dette - minimum + 1));
        checkPlan(planApurementParMensualite(dette, m, d("2027-08-31")), dette, "random " + std::to_string(dette) + "/" + std::to_string(m));
        int n = static_cast<int>(rng() % 36) + 1;
        if (dette >= n) checkPlan(planApurementParNombre(dette, n, d("2027-08-31")), dette, "random n " + std::to_string(dette));
        ++plans;
    }
    EXPECT_GT(plans, 50000);
}

TEST(PlanApurement, ImpossiblePlansAreRejectedWithAStableRule) {
    struct Case { PlanApurement plan; const char* field; const char* rule; };
    const Case cases[] = {
        {planApurementParMensualite(0, 1000, d("2026-01-01")), "montantDette", "apurement_dette_non_positive"},
        {planApurementParMensualite(-5000, 1000, d("2026-01-01")), "montantDette", "apurement_dette_non_positive"},
        {planApurementParMensualite(5000, 0, d("2026-01-01")), "mensualite", "apurement_mensualite_non_positive"},
        {planApurementParMensualite(5000, -100, d("2026-01-01")), "mensualite", "apurement_mensualite_non_positive"},
        {planApurementParMensualite(5000, 5001, d("2026-01-01")), "mensualite", "apurement_mensualite_superieure_dette"},
        {planApurementParMensualite(3601, 100, d("2026-01-01")), "mensualite", "apurement_trop_d_echeances"}, // 37 instalments
        {planApurementParNombre(0, 10, d("2026-01-01")), "montantDette", "apurement_dette_non_positive"},
        {planApurementParNombre(5000, 0, d("2026-01-01")), "nombreEcheances", "apurement_nombre_non_positif"},
        {planApurementParNombre(5000, -3, d("2026-01-01")), "nombreEcheances", "apurement_nombre_non_positif"},
        {planApurementParNombre(500000, 37, d("2026-01-01")), "nombreEcheances", "apurement_trop_d_echeances"},
        {planApurementParNombre(5, 6, d("2026-01-01")), "nombreEcheances", "apurement_echeance_nulle"},
    };
    for (const auto& c : cases) {
        ASSERT_FALSE(c.plan.ok()) << c.rule;
        EXPECT_EQ(c.plan.error->field, c.field) << c.rule;
        EXPECT_EQ(c.plan.error->rule, c.rule);
        EXPECT_FALSE(c.plan.error->message.empty());
    }
    // The limits themselves are accepted.
    checkPlan(planApurementParMensualite(3600, 100, d("2026-01-01")), 3600, "exactly 36");
    checkPlan(planApurementParMensualite(5000, 5000, d("2026-01-01")), 5000, "one instalment");
    checkPlan(planApurementParNombre(6, 6, d("2026-01-01")), 6, "one cent each");
    // The message says what would work.
    EXPECT_NE(planApurementParMensualite(348217, 1000, d("2026-01-01")).error->message.find("96,73"), std::string::npos);
}

TEST(PlanApurement, ProtocolRejectionsNameTheInputField) {
    struct Case { const char* what; std::function<void(Object::Ptr&)> edit; const char* path; const char* rule; };
    const Case cases[] = {
        {"zero monthly", [](Object::Ptr& o) { o->set("mensualite", "0"); }, "/dette/mensualite", "apurement_mensualite_non_positive"},
        {"negative monthly", [](Object::Ptr& o) { o->set("mensualite", "-20.00"); }, "/dette/mensualite", "apurement_mensualite_non_positive"},
        {"monthly above debt", [](Object::Ptr& o) { o->set("mensualite", "3482.18"); }, "/dette/mensualite", "apurement_mensualite_superieure_dette"},
        {"too many instalments", [](Object::Ptr& o) { o->set("mensualite", "96.72"); }, "/dette/mensualite", "apurement_trop_d_echeances"},
        {"zero debt", [](Object::Ptr& o) { o->set("montantDette", "0.00"); }, "/dette/montantDette", "apurement_dette_non_positive"},
        {"negative debt", [](Object::Ptr& o) { o->set("montantDette", "-150.00"); }, "/dette/montantDette", "apurement_dette_non_positive"},
        {"both modes", [](Object::Ptr& o) { o->set("nombreEcheances", 12); }, "/dette/nombreEcheances", "apurement_mode_ambigu"},
        {"no mode", [](Object::Ptr& o) { o->remove("mensualite"); }, "/dette/mensualite", "apurement_mode_manquant"},
        {"zero instalments", [](Object::Ptr& o) { o->remove("mensualite"); o->set("nombreEcheances", 0); }, "/dette/nombreEcheances", "apurement_nombre_non_positif"},
        {"37 instalments", [](Object::Ptr& o) { o->remove("mensualite"); o->set("nombreEcheances", 37); }, "/dette/nombreEcheances", "apurement_trop_d_echeances"},
        {"computed schedule given", [](Object::Ptr& o) { o->set("echeancier", Array::Ptr(new Array)); }, "/dette/echeancier", "computed_field"},
        {"bad date", [](Object::Ptr& o) { o->set("premiereEcheance", "2026-02-30"); }, "/dette/premiereEcheance", "date_format"},
    };
    for (const auto& c : cases) {
        auto data = example("protocole-sous-location-amli-maintien.json");
        auto dette = data->getObject("dette");
        c.edit(dette);
        expectOnly(fillErrors("protocole-sous-location", data), c.path, c.rule, c.what);
    }
    // 96,73 € a month is the smallest that fits in 36 instalments.
    auto data = example("protocole-sous-location-amli-maintien.json");
    data->getObject("dette")->set("mensualite", "96.73");
    auto r = fill(form("protocole-sous-location"), data);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(r.value().data->getObject("dette")->getValue<int>("nombreEcheancesPlan"), 36);
}

TEST(PlanApurement, ExamplesCarryTheExactSchedule) {
    auto r = fill(form("protocole-sous-location"), example("protocole-sous-location-amli-maintien.json"));
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    auto dette = r.value().data->getObject("dette");
    auto rows = dette->getArray("echeancier");
    ASSERT_EQ(rows->size(), 24u);
    EXPECT_EQ(rows->getObject(0)->getValue<std::string>("date"), "2026-09-30");
    EXPECT_EQ(rows->getObject(0)->getValue<std::string>("montant"), "150.00");
    EXPECT_EQ(rows->getObject(0)->getValue<std::string>("restantDu"), "3332.17");
    EXPECT_EQ(rows->getObject(23)->getValue<std::string>("montant"), "32.17");
    EXPECT_EQ(rows->getObject(23)->getValue<std::string>("restantDu"), "0.00");
    EXPECT_EQ(dette->getValue<std::string>("totalEcheancier"), "3482.17");
    EXPECT_EQ(dette->getValue<std::string>("derniereEcheance"), "2028-08-30");
    auto logement = r.value().data->getObject("logement");
    EXPECT_EQ(logement->getValue<std::string>("loyerResiduel"), "296.00");
    EXPECT_DOUBLE_EQ(logement->getValue<double>("tauxEffort"), 20.0);
    auto sl = r.value().data->getObject("sousLocation");
    EXPECT_EQ(sl->getValue<std::string>("finPremierePeriode"), "2027-02-28");
    EXPECT_EQ(sl->getValue<std::string>("debutRenouvellement"), "2027-03-01");
    EXPECT_EQ(sl->getValue<std::string>("finRenouvellement"), "2027-08-30");

    auto april = fill(form("protocole-sous-location"), example("protocole-sous-location-april-epernay.json"));
    ASSERT_TRUE(april.isOk()) << april.status().toString();
    auto plan = april.value().data->getObject("dette");
    EXPECT_EQ(plan->getArray("echeancier")->size(), 18u);
    EXPECT_EQ(plan->getArray("echeancier")->getObject(17)->getValue<std::string>("montant"), "70.88");
    EXPECT_EQ(april.value().data->getObject("sousLocation")->getValue<std::string>("finPremierePeriode"), "2028-02-29");
}

// ---- Periods ------------------------------------------------------------------------------------

TEST(Periodes, SubLeaseOfSixMonthsRenewableOnce) {
    struct Case { const char* debut; const char* fin; const char* renouvellement; const char* finRenouvellement; };
    const Case cases[] = {
        {"2026-03-01", "2026-08-31", "2026-09-01", "2027-02-28"},
        {"2026-01-15", "2026-07-14", "2026-07-15", "2027-01-14"},
        {"2026-08-31", "2027-02-28", "2027-03-01", "2027-08-30"}, // 31/02 does not exist: ends on February's last day
        {"2027-08-31", "2028-02-29", "2028-03-01", "2028-08-30"}, // leap year
        {"2027-08-30", "2028-02-29", "2028-03-01", "2028-08-29"},
        {"2027-08-29", "2028-02-28", "2028-02-29", "2028-08-28"},
        {"2027-09-01", "2028-02-29", "2028-03-01", "2028-08-31"},
        {"2028-02-29", "2028-08-28", "2028-08-29", "2029-02-28"}, // 29/02/2029 does not exist
        {"2026-03-31", "2026-09-30", "2026-10-01", "2027-03-30"},
        {"2026-12-31", "2027-06-30", "2027-07-01", "2027-12-30"},
        {"2026-07-01", "2026-12-31", "2027-01-01", "2027-06-30"},
    };
    for (const auto& c : cases) {
        auto p = periodesSousLocation(d(c.debut));
        EXPECT_EQ(p.finPremierePeriode.iso(), c.fin) << c.debut;
        EXPECT_EQ(p.debutRenouvellement.iso(), c.renouvellement) << c.debut;
        EXPECT_EQ(p.finRenouvellement.iso(), c.finRenouvellement) << c.debut;
    }
}

TEST(Periodes, EveryStartDateGivesContiguousPeriodsOfSixMonths) {
    for (long day = d("2024-01-01").toDays(); day <= d("2030-12-31").toDays(); ++day) {
        Date debut = Date::fromDays(day);
        auto p = periodesSousLocation(debut);
        ASSERT_EQ(p.finPremierePeriode.addDays(1), p.debutRenouvellement) << debut.iso();
        long first = p.finPremierePeriode.toDays() - day + 1;
        ASSERT_GE(first, 181) << debut.iso();
        ASSERT_LE(first, 184) << debut.iso();
        ASSERT_EQ(p.finRenouvellement.addDays(1), anniversaire(debut, 12)) << debut.iso();
        ASSERT_LT(p.debutRenouvellement, p.finRenouvellement) << debut.iso();
    }
}

TEST(Periodes, ContractEndDate) {
    EXPECT_EQ(finDePeriode(d("2026-03-16"), 12).iso(), "2027-03-15");
    EXPECT_EQ(finDePeriode(d("2028-02-29"), 12).iso(), "2029-02-28");
    EXPECT_EQ(finDePeriode(d("2027-02-28"), 12).iso(), "2028-02-27");
    EXPECT_EQ(finDePeriode(d("2026-01-31"), 1).iso(), "2026-02-28");
    EXPECT_EQ(finDePeriode(d("2028-01-31"), 1).iso(), "2028-02-29");
    EXPECT_EQ(finDePeriode(d("2026-01-30"), 1).iso(), "2026-02-28");
    EXPECT_EQ(finDePeriode(d("2026-02-01"), 1).iso(), "2026-02-28");
    auto r = fill(form("contrat-objectifs"), example("contrat-objectifs-amli-acces.json"));
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(r.value().data->getObject("modalites")->getValue<std::string>("dateFin"), "2027-03-15");
}

// ---- Contract revisions -------------------------------------------------------------------------

TEST(RevisionContrat, VersionAndReplacedDateAreConsistent) {
    {
        auto r = fill(form("contrat-objectifs"), example("contrat-objectifs-revision-bail-glissant.json"));
        ASSERT_TRUE(r.isOk()) << r.status().toString();
        EXPECT_EQ(r.value().data->getValue<std::string>("mentionVersion"), "Version 2 du 18/01/2027, qui remplace la version du 06/07/2026");
        auto first = fill(form("contrat-objectifs"), example("contrat-objectifs-amli-acces.json"));
        ASSERT_TRUE(first.isOk());
        EXPECT_EQ(first.value().data->getValue<std::string>("mentionVersion"), "Version 1 du 16/03/2026 (version initiale)");
    }
    struct Case { const char* what; const char* file; std::function<void(Object::Ptr&)> edit; const char* path; const char* rule; };
    const Case cases[] = {
        {"revision without date", "contrat-objectifs-revision-bail-glissant.json", [](Object::Ptr& o) { o->remove("remplaceVersionDu"); },
         "/remplaceVersionDu", "revision_date_manquante"},
        {"initial version replacing one", "contrat-objectifs-amli-acces.json", [](Object::Ptr& o) { o->set("remplaceVersionDu", "2026-01-10"); },
         "/remplaceVersionDu", "revision_version_initiale"},
        {"replaced version after this one", "contrat-objectifs-revision-bail-glissant.json", [](Object::Ptr& o) { o->set("remplaceVersionDu", "2027-01-18"); },
         "/remplaceVersionDu", "revision_date_incoherente"},
        {"version zero", "contrat-objectifs-amli-acces.json", [](Object::Ptr& o) { o->set("version", 0); }, "/version", "min"},
        {"version as text", "contrat-objectifs-amli-acces.json", [](Object::Ptr& o) { o->set("version", "2"); }, "/version", "integer"},
        {"no version", "contrat-objectifs-amli-acces.json", [](Object::Ptr& o) { o->remove("version"); }, "/version", "required"},
        {"duration above 12 months", "contrat-objectifs-amli-acces.json", [](Object::Ptr& o) { o->getObject("modalites")->set("dureeMois", 13); },
         "/modalites/dureeMois", "max"},
        {"T6 is not a type", "contrat-objectifs-amli-acces.json", [](Object::Ptr& o) { o->getObject("logement")->set("typologie", "T6"); },
         "/logement/typologie", "enum"},
        {"objective without indicator", "contrat-objectifs-amli-acces.json",
         [](Object::Ptr& o) { o->getArray("objectifs")->getObject(2)->remove("indicateur"); }, "/objectifs/2/indicateur", "required"},
    };
    for (const auto& c : cases) {
        auto data = example(c.file);
        c.edit(data);
        expectOnly(fillErrors("contrat-objectifs", data), c.path, c.rule, c.what);
    }
}

// ---- Grille -------------------------------------------------------------------------------------

TEST(Grille, EvaluationContextAndReferentialRules) {
    auto mention = fill(form("grille-capacite-habiter"), example("grille-capacite-habiter-affil-suivi-6-mois.json"));
    ASSERT_TRUE(mention.isOk()) << mention.status().toString();
    EXPECT_EQ(mention.value().data->getObject("evaluation")->getValue<std::string>("mentionEvaluation"),
              "Suivi à 6 mois du 12/10/2026, qui fait suite à l’évaluation du 02/03/2026");

    struct Case { const char* what; const char* file; std::function<void(Object::Ptr&)> edit; const char* path; const char* rule; };
    const Case cases[] = {
        {"follow-up without previous date", "grille-capacite-habiter-affil-suivi-6-mois.json",
         [](Object::Ptr& o) { o->getObject("evaluation")->remove("datePrecedente"); }, "/evaluation/datePrecedente", "evaluation_precedente_manquante"},
        {"initial with previous date", "grille-capacite-habiter-cotes-darmor-initiale.json",
         [](Object::Ptr& o) { o->getObject("evaluation")->set("datePrecedente", "2025-10-01"); }, "/evaluation/datePrecedente",
         "evaluation_initiale_avec_precedente"},
        {"previous after current", "grille-capacite-habiter-affil-suivi-6-mois.json",
         [](Object::Ptr& o) { o->getObject("evaluation")->set("datePrecedente", "2026-10-12"); }, "/evaluation/datePrecedente",
         "evaluation_precedente_posterieure"},
        {"no referential", "grille-capacite-habiter-affil-suivi-6-mois.json", [](Object::Ptr& o) { o->remove("affil"); }, "/affil",
         "referentiel_manquant"},
        {"missing level", "grille-capacite-habiter-affil-suivi-6-mois.json",
         [](Object::Ptr& o) { o->getObject("affil")->getObject("pouvoirLouer")->getObject("ressources")->remove("niveau"); },
         "/affil/pouvoirLouer/ressources/niveau", "required"},
        {"unknown level", "grille-capacite-habiter-cotes-darmor-initiale.json",
         [](Object::Ptr& o) { o->getObject("cotesDArmor")->getObject("situationBudgetaire")->getObject("dettes")->set("niveau", "moyen"); },
         "/cotesDArmor/situationBudgetaire/dettes/niveau", "enum"},
        {"missing indicator", "grille-capacite-habiter-cotes-darmor-initiale.json",
         [](Object::Ptr& o) { o->getObject("cotesDArmor")->getObject("situationResidentielle")->remove("projetLogement"); },
         "/cotesDArmor/situationResidentielle/projetLogement", "required"},
    };
    for (const auto& c : cases) {
        auto data = example(c.file);
        c.edit(data);
        expectOnly(fillErrors("grille-capacite-habiter", data), c.path, c.rule, c.what);
    }
    // Both referentials at once.
    auto both = example("grille-capacite-habiter-affil-suivi-6-mois.json");
    both->set("cotesDArmor", example("grille-capacite-habiter-cotes-darmor-initiale.json")->get("cotesDArmor"));
    expectOnly(fillErrors("grille-capacite-habiter", both), "/cotesDArmor", "referentiels_multiples", "both referentials");
}

// The XLSX export and the consent gate rely on this regular shape:
// <referentiel>.<rubrique>.<indicateur>.{niveau, commentaire}, with an honest housing flag.
TEST(Grille, RegularStructureWithHonestHousingFlags) {
    auto def = form("grille-capacite-habiter");
    auto refs = def->parameters->getArray("referentiels");
    ASSERT_EQ(refs->size(), 2u);
    std::vector<std::string> notHousing;
    int indicators = 0;
    for (unsigned i = 0; i < refs->size(); ++i) {
        const FieldDef* ref = def->field(refs->getElement<std::string>(i));
        ASSERT_TRUE(ref && ref->type == FieldType::Group);
        EXPECT_FALSE(ref->required) << "the other territory's grid stays optional";
        for (const auto& rubrique : ref->fields) {
            ASSERT_EQ(rubrique.type, FieldType::Group) << rubrique.name;
            for (const auto& ind : rubrique.fields) {
                ++indicators;
                ASSERT_EQ(ind.type, FieldType::Group) << ind.name;
                ASSERT_EQ(ind.fields.size(), 2u) << ind.name;
                const FieldDef* niveau = ind.child("niveau");
                const FieldDef* commentaire = ind.child("commentaire");
                ASSERT_TRUE(niveau && commentaire) << ind.name;
                EXPECT_EQ(niveau->type, FieldType::Enum);
                EXPECT_EQ(commentaire->type, FieldType::LongText);
                ASSERT_EQ(niveau->options.size(), 5u);
                EXPECT_EQ(niveau->options.back().value, "non-evalue");
                EXPECT_EQ(niveau->options.back().label, "Non évalué");
                EXPECT_EQ(niveau->housing, ind.housing) << "children inherit the indicator's flag";
                if (!ind.housing) notHousing.push_back(ref->name + "." + rubrique.name + "." + ind.name + ":" + ind.category);
            }
        }
    }
    EXPECT_EQ(indicators, 22 + 16);
    const std::vector<std::string> expected = {"affil.savoirSAdapter.liensSociaux:famille", "affil.besoinAccompagnement.sante:sante",
                                               "affil.besoinAccompagnement.emploi:emploi", "cotesDArmor.situationResidentielle.santeAutonomie:sante"};
    EXPECT_EQ(notHousing, expected);
    EXPECT_EQ(def->variants.size(), 2u);
    EXPECT_EQ(def->variants[0].name, "affil");
    EXPECT_EQ(def->variants[1].name, "cotes-darmor");
}
