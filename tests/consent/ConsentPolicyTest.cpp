// Unit tests of the consent gate (src/consent/ConsentPolicy.h). Table-driven:
// each assertion names its case.
#include <climits>
#include <functional>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "consent/ConsentPolicy.h"

namespace passerelle::consent {
namespace {

using forms::FieldDef;
using forms::FormDef;
using Poco::JSON::Object;
using Kind = ConsentRecord::Kind;

// A small form exercising every shape: groups, person, tables, explicit and
// inherited housing flags, a housing field inside a non-housing group.
const char* kFormJson = R"({
  "id": "fiche-test", "version": "1", "title": "Fiche de test",
  "fields": [
    {"name": "date", "type": "date", "category": "administratif", "housing": true},
    {"name": "menage", "type": "group", "category": "identite", "housing": true, "fields": [
      {"name": "nom", "type": "text"},
      {"name": "telephone", "type": "text", "category": "contact"}
    ]},
    {"name": "titulaire", "type": "person", "category": "identite", "housing": true},
    {"name": "logement", "type": "group", "category": "logement", "housing": true, "fields": [
      {"name": "adresse", "type": "text"},
      {"name": "loyer", "type": "amount", "category": "budget"}
    ]},
    {"name": "situation", "type": "group", "category": "accompagnement", "housing": true, "fields": [
      {"name": "dette", "type": "longtext", "category": "dette"},
      {"name": "sante", "type": "longtext", "category": "sante", "housing": false},
      {"name": "emploi", "type": "longtext", "category": "emploi", "housing": false}
    ]},
    {"name": "occupants", "type": "table", "category": "composition", "housing": true, "fields": [
      {"name": "prenom", "type": "text", "category": "identite"},
      {"name": "handicap", "type": "text", "category": "sante", "housing": false}
    ]},
    {"name": "intime", "type": "group", "category": "vie-sociale", "housing": false, "fields": [
      {"name": "recit", "type": "longtext"},
      {"name": "adresseAncienne", "type": "text", "category": "logement", "housing": true}
    ]},
    {"name": "actions", "type": "table", "category": "accompagnement", "housing": true, "fields": [
      {"name": "action", "type": "text"},
      {"name": "echeance", "type": "date"}
    ]}
  ]
})";

std::shared_ptr<const FormDef> testForm() {
    static std::shared_ptr<const FormDef> form = [] {
        auto json = Poco::JSON::Parser().parse(kFormJson).extract<Object::Ptr>();
        auto def = forms::parseFormDef(json);
        if (!def.isOk()) throw std::runtime_error(def.status().toString());
        return def.value();
    }();
    return form;
}

Object::Ptr parseObject(const std::string& text) { return Poco::JSON::Parser().parse(text).extract<Object::Ptr>(); }

Object::Ptr testData() {
    return parseObject(R"({
      "date": "2026-11-22",
      "menage": {"nom": "Benali", "telephone": "06 12 34 56 78"},
      "titulaire": {"nom": "Benali", "prenom": "Samira"},
      "logement": {"adresse": "8 allée des Tilleuls", "loyer": "512.40"},
      "situation": {"dette": "Dette de 1 834,57 €", "sante": "SECRET-SANTE", "emploi": "SECRET-EMPLOI"},
      "occupants": [{"prenom": "Yanis", "handicap": "SECRET-HANDICAP"}],
      "intime": {"recit": "SECRET-RECIT", "adresseAncienne": "SECRET-ANCIENNE"},
      "actions": [{"action": "Plan d'apurement", "echeance": "2026-12-01"}]
    })");
}

Instant at(const char* iso) {
    auto t = Instant::parseIso(iso);
    if (!t) throw std::runtime_error(std::string("bad instant ") + iso);
    return *t;
}

const Instant kGiven = at("2026-11-01T09:00:00Z");
const Instant kNow = at("2026-11-10T14:30:00Z");

const std::set<std::string> kAllCategories(forms::knownCategories().begin(), forms::knownCategories().end());

ConsentRecord consent(const std::string& id, Instant givenAt, std::set<std::string> categories = kAllCategories,
                      std::set<std::string> kinds = {"fiche-test"}) {
    ConsentRecord r;
    r.id = id;
    r.dossierId = "D-1";
    r.givenBy = {"Samira Benali", ConsentGiver::Capacity::HouseholdMember};
    r.recipientOrgId = "sarthe-habitat";
    r.scope = {std::move(kinds), std::move(categories)};
    r.purpose = "Suivi du maintien dans le logement";
    r.givenAt = givenAt;
    r.how.method = ConsentProof::Method::InPerson;
    r.how.recordedBy = "Claire Lefèvre";
    r.kind = Kind::Consent;
    return r;
}

ConsentRecord refusal(const std::string& id, Instant givenAt) {
    ConsentRecord r = consent(id, givenAt, {}, {});
    r.kind = Kind::Refusal;
    return r;
}

TransmissionRequest request(Instant now = kNow) {
    TransmissionRequest q;
    q.form = testForm();
    q.data = testData();
    q.dossierId = "D-1";
    q.recipient = {"sarthe-habitat", "bailleur"};
    q.now = now;
    return q;
}

std::set<std::string> topLevel(const FormDef& form) {
    std::set<std::string> s;
    for (const auto& f : form.fields) s.insert(f.name);
    return s;
}

void leafPaths(const std::vector<FieldDef>& fields, const std::string& prefix, std::vector<std::string>& out) {
    for (const auto& f : fields) {
        std::string p = prefix.empty() ? f.name : prefix + "." + f.name;
        if (f.fields.empty()) out.push_back(p);
        else leafPaths(f.fields, p, out);
    }
}

// The composer's rule (templates::Composer::redacted).
bool covered(const std::string& path, const std::set<std::string>& redacted) {
    for (const auto& r : redacted)
        if (path == r || (path.size() > r.size() && path.compare(0, r.size(), r) == 0 && path[r.size()] == '.')) return true;
    return false;
}

std::string str(const Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}

// ---- Refusal reasons ----------------------------------------------------------------------------

struct RefusalCase {
    const char* name;
    std::function<void(TransmissionRequest&, std::vector<ConsentRecord>&)> setup;
    Reason reason;
    Status::Code code;
};

TEST(ConsentPolicy, EveryRefusalReason) {
    const std::vector<RefusalCase> cases = {
        {"no form", [](auto& q, auto& rs) { q.form = nullptr; rs = {consent("C1", kGiven)}; }, Reason::InvalidRequest,
         Status::Code::InvalidArgument},
        {"no dossier", [](auto& q, auto& rs) { q.dossierId.clear(); rs = {consent("C1", kGiven)}; }, Reason::InvalidRequest,
         Status::Code::InvalidArgument},
        {"no recipient", [](auto& q, auto& rs) { q.recipient.orgId.clear(); rs = {consent("C1", kGiven)}; },
         Reason::InvalidRequest, Status::Code::InvalidArgument},
        {"recipient is a funder", [](auto& q, auto& rs) { q.recipient.kind = "financeur"; rs = {consent("C1", kGiven)}; },
         Reason::RecipientNotLandlord, Status::Code::PermissionDenied},
        {"recipient is an association", [](auto& q, auto& rs) { q.recipient.kind = "association"; rs = {consent("C1", kGiven)}; },
         Reason::RecipientNotLandlord, Status::Code::PermissionDenied},
        {"recipient kind missing", [](auto& q, auto& rs) { q.recipient.kind.clear(); rs = {consent("C1", kGiven)}; },
         Reason::RecipientNotLandlord, Status::Code::PermissionDenied},
        {"unknown category (nested)",
         [](auto& q, auto& rs) {
             auto def = std::make_shared<FormDef>(*testForm());
             def->fields[4].fields[0].category = "religion"; // situation.dette
             q.form = def;
             rs = {consent("C1", kGiven)};
         },
         Reason::UnknownCategory, Status::Code::PermissionDenied},
        {"empty category", [](auto& q, auto& rs) {
             auto def = std::make_shared<FormDef>(*testForm());
             def->fields[0].category.clear();
             q.form = def;
             rs = {consent("C1", kGiven)};
         },
         Reason::UnknownCategory, Status::Code::PermissionDenied},
        {"no record at all", [](auto&, auto& rs) { rs = {}; }, Reason::NoConsent, Status::Code::PermissionDenied},
        {"records of another dossier only", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].dossierId = "D-2";
         },
         Reason::NoConsent, Status::Code::PermissionDenied},
        {"consent for another bailleur", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].recipientOrgId = "icf-atlantique";
         },
         Reason::RecipientMismatch, Status::Code::PermissionDenied},
        {"refusal alone", [](auto&, auto& rs) { rs = {refusal("R1", kGiven)}; }, Reason::RefusedByHousehold,
         Status::Code::PermissionDenied},
        {"refusal after consent", [](auto&, auto& rs) { rs = {consent("C1", kGiven), refusal("R2", kGiven.plusSeconds(60))}; },
         Reason::RefusedByHousehold, Status::Code::PermissionDenied},
        {"refusal and consent at the same instant", [](auto&, auto& rs) { rs = {consent("C1", kGiven), refusal("R1", kGiven)}; },
         Reason::RefusedByHousehold, Status::Code::PermissionDenied},
        {"refusal whose consentId is named", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven), refusal("R2", kGiven.plusSeconds(1))};
             q.consentId = "C1";
         },
         Reason::RefusedByHousehold, Status::Code::PermissionDenied},
        {"withdrawn before now", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].withdrawnAt = kGiven.plusSeconds(3600);
         },
         Reason::Withdrawn, Status::Code::FailedPrecondition},
        {"withdrawn at the same instant", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].withdrawnAt = kNow;
         },
         Reason::Withdrawn, Status::Code::FailedPrecondition},
        {"withdrawn one second after now (clock skew)", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].withdrawnAt = kNow.plusSeconds(1);
         },
         Reason::Withdrawn, Status::Code::FailedPrecondition},
        {"explicit expiry passed", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].expiresAt = kGiven.plusSeconds(86400);
         },
         Reason::Expired, Status::Code::FailedPrecondition},
        {"default one-year expiry passed", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven)};
             q.now = at("2027-11-01T09:00:00Z");
         },
         Reason::Expired, Status::Code::FailedPrecondition},
        {"measure ended", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven)};
             q.measureEnd = Date{2026, 11, 5};
         },
         Reason::Expired, Status::Code::FailedPrecondition},
        {"consent given after now (clock skew)", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven), consent("C2", kNow.plusSeconds(5), {"logement"})};
         },
         Reason::NotYetValid, Status::Code::FailedPrecondition},
        {"named consent superseded", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven), consent("C2", kGiven.plusSeconds(60))};
             rs[1].supersedes = "C1";
             q.consentId = "C1";
         },
         Reason::Superseded, Status::Code::FailedPrecondition},
        {"named consent replaced by a later one without link", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven), consent("C2", kGiven.plusSeconds(60))};
             q.consentId = "C1";
         },
         Reason::Superseded, Status::Code::FailedPrecondition},
        {"named consent unknown", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven)};
             q.consentId = "C9";
         },
         Reason::NoConsent, Status::Code::PermissionDenied},
        {"named consent of another bailleur", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven), consent("C2", kGiven)};
             rs[1].recipientOrgId = "icf-atlantique";
             q.consentId = "C2";
         },
         Reason::NoConsent, Status::Code::PermissionDenied},
        {"two consents at the same instant", [](auto&, auto& rs) { rs = {consent("C1", kGiven), consent("C2", kGiven, {"logement"})}; },
         Reason::ConflictingRecords, Status::Code::FailedPrecondition},
        {"mutual supersession", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven), consent("C2", kGiven)};
             rs[0].supersedes = "C2";
             rs[1].supersedes = "C1";
         },
         Reason::ConflictingRecords, Status::Code::FailedPrecondition},
        {"signed autorisation with a bad hash", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].how.method = ConsentProof::Method::SignedAutorisation;
             rs[0].how.documentSha256 = "ABC";
         },
         Reason::InvalidConsentRecord, Status::Code::FailedPrecondition},
        {"in person without référent", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].how.recordedBy.clear();
         },
         Reason::InvalidConsentRecord, Status::Code::FailedPrecondition},
        {"nobody gave it", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].givenBy.name.clear();
         },
         Reason::InvalidConsentRecord, Status::Code::FailedPrecondition},
        {"empty scope", [](auto&, auto& rs) { rs = {consent("C1", kGiven, {}, {})}; }, Reason::InvalidConsentRecord,
         Status::Code::FailedPrecondition},
        {"unknown category in scope", [](auto&, auto& rs) { rs = {consent("C1", kGiven, {"logement", "religion"})}; },
         Reason::InvalidConsentRecord, Status::Code::FailedPrecondition},
        {"expiry before given", [](auto&, auto& rs) {
             rs = {consent("C1", kGiven)};
             rs[0].expiresAt = kGiven;
         },
         Reason::InvalidConsentRecord, Status::Code::FailedPrecondition},
        {"document kind out of scope", [](auto&, auto& rs) { rs = {consent("C1", kGiven, kAllCategories, {"grille-capacite-habiter"})}; },
         Reason::KindOutOfScope, Status::Code::PermissionDenied},
        {"only non-housing categories in scope", [](auto&, auto& rs) { rs = {consent("C1", kGiven, {"sante", "emploi", "vie-sociale"})}; },
         Reason::NothingToSend, Status::Code::PermissionDenied},
        {"allowed fields hold no value", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven, {"accompagnement"})}; // actions.* only
             q.data->remove("actions");
         },
         Reason::NothingToSend, Status::Code::PermissionDenied},
        {"allowed field holds an empty string", [](auto& q, auto& rs) {
             rs = {consent("C1", kGiven, {"administratif"})}; // date only
             q.data->set("date", "");
         },
         Reason::NothingToSend, Status::Code::PermissionDenied},
    };
    for (const auto& c : cases) {
        TransmissionRequest q = request();
        std::vector<ConsentRecord> records;
        c.setup(q, records);
        Decision d = decide(q, records);
        EXPECT_FALSE(d.allowed) << c.name;
        EXPECT_EQ(reasonCode(d.reason), std::string(reasonCode(c.reason))) << c.name << ": " << d.message;
        EXPECT_EQ(d.code(), std::string(reasonCode(c.reason))) << c.name;
        Status s = d.status();
        EXPECT_FALSE(s.isOk()) << c.name;
        EXPECT_EQ(static_cast<int>(s.code()), static_cast<int>(c.code)) << c.name;
        EXPECT_EQ(s.errorCode(), d.code()) << c.name;
        EXPECT_FALSE(d.message.empty()) << c.name;
        EXPECT_TRUE(d.allowedFields.empty()) << c.name;
        if (q.form) {
            EXPECT_EQ(d.excludedFields, topLevel(*q.form)) << c.name << ": a refusal must redact everything";
        }
    }
}

TEST(ConsentPolicy, AllowedBaseline) {
    Decision d = decide(request(), {consent("C1", kGiven)});
    ASSERT_TRUE(d.allowed) << d.message;
    EXPECT_EQ(d.reason, Reason::Allowed);
    EXPECT_TRUE(d.status().isOk());
    EXPECT_EQ(d.consentId, "C1");
    ASSERT_TRUE(d.consentExpiresAt);
    EXPECT_EQ(d.consentExpiresAt->iso(), "2027-11-01T09:00:00Z");
    EXPECT_NE(d.message.find("4 rubrique(s) non transmise(s)"), std::string::npos) << d.message;
}

TEST(ConsentPolicy, RefusalCarriesTheGoverningRecordForTheAudit) {
    std::vector<ConsentRecord> rs = {consent("C1", kGiven)};
    rs[0].withdrawnAt = kNow;
    Decision d = decide(request(), rs);
    EXPECT_EQ(d.consentId, "C1");
    EXPECT_NE(d.message.find("retiré"), std::string::npos) << d.message;
    Decision r = decide(request(), {refusal("R1", kGiven)});
    EXPECT_EQ(r.consentId, "R1");
}

// ---- Time boundaries ---------------------------------------------------------------------------

TEST(ConsentPolicy, ExpiryBoundaries) {
    struct Case {
        const char* name;
        std::function<void(ConsentRecord&, TransmissionRequest&)> setup;
        Instant expiry;
    };
    const std::vector<Case> cases = {
        {"explicit expiresAt", [](ConsentRecord& r, TransmissionRequest&) { r.expiresAt = at("2026-12-31T23:00:00Z"); },
         at("2026-12-31T23:00:00Z")},
        {"default: one year", [](ConsentRecord&, TransmissionRequest&) {}, at("2027-11-01T09:00:00Z")},
        {"default: end of measure (winter)", [](ConsentRecord&, TransmissionRequest& q) { q.measureEnd = Date{2027, 1, 15}; },
         at("2027-01-15T23:00:00Z")},
        {"default: end of measure (summer)", [](ConsentRecord&, TransmissionRequest& q) { q.measureEnd = Date{2027, 6, 30}; },
         at("2027-06-30T22:00:00Z")},
        {"explicit wins over measure end", [](ConsentRecord& r, TransmissionRequest& q) {
             r.expiresAt = at("2026-12-01T00:00:00Z");
             q.measureEnd = Date{2027, 6, 30};
         },
         at("2026-12-01T00:00:00Z")},
    };
    for (const auto& c : cases) {
        for (std::int64_t delta : {-1, 0, 1}) {
            ConsentRecord r = consent("C1", kGiven);
            TransmissionRequest q = request(c.expiry.plusSeconds(delta));
            c.setup(r, q);
            Decision d = decide(q, {r});
            std::string name = std::string(c.name) + " at expiry" + (delta < 0 ? " - 1 s" : delta > 0 ? " + 1 s" : "");
            ASSERT_TRUE(d.consentExpiresAt) << name;
            EXPECT_EQ(d.consentExpiresAt->iso(), c.expiry.iso()) << name;
            if (delta < 0) {
                EXPECT_TRUE(d.allowed) << name << ": " << d.message;
            } else {
                EXPECT_FALSE(d.allowed) << name;
                EXPECT_EQ(d.reason, Reason::Expired) << name << ": " << d.code();
                EXPECT_EQ(d.status().code(), Status::Code::FailedPrecondition) << name;
            }
        }
    }
}

TEST(ConsentPolicy, GivenAtBoundary) {
    for (std::int64_t delta : {-1, 0, 1}) {
        Decision d = decide(request(kGiven.plusSeconds(delta)), {consent("C1", kGiven)});
        std::string name = "now = givenAt " + std::to_string(delta) + " s";
        if (delta < 0) {
            EXPECT_EQ(d.reason, Reason::NotYetValid) << name;
        } else {
            EXPECT_TRUE(d.allowed) << name << ": " << d.message;
        }
    }
}

TEST(ConsentPolicy, WithdrawalBoundaries) {
    struct Case {
        const char* name;
        Instant withdrawnAt;
    };
    const std::vector<Case> cases = {
        {"withdrawn one second before the transmission", kNow.plusSeconds(-1)},
        {"withdrawn at the same instant as the transmission", kNow},
        {"withdrawn one second after (another instance's clock is ahead)", kNow.plusSeconds(1)},
        {"withdrawn the instant it was given", kGiven},
    };
    for (const auto& c : cases) {
        ConsentRecord r = consent("C1", kGiven);
        r.withdrawnAt = c.withdrawnAt;
        Decision d = decide(request(), {r});
        EXPECT_FALSE(d.allowed) << c.name;
        EXPECT_EQ(d.reason, Reason::Withdrawn) << c.name << ": " << d.code();
        EXPECT_EQ(d.status().code(), Status::Code::FailedPrecondition) << c.name;
    }
    // A fresh consent after the withdrawal governs again.
    ConsentRecord old = consent("C1", kGiven);
    old.withdrawnAt = kGiven.plusSeconds(100);
    Decision d = decide(request(), {old, consent("C2", kGiven.plusSeconds(200))});
    EXPECT_TRUE(d.allowed) << "new consent after withdrawal: " << d.message;
    EXPECT_EQ(d.consentId, "C2");
}

TEST(ConsentPolicy, DefaultExpiry) {
    struct Case {
        const char* name;
        const char* given;
        std::optional<Date> measureEnd;
        const char* expected;
    };
    const std::vector<Case> cases = {
        {"one year", "2026-11-01T09:00:00Z", std::nullopt, "2027-11-01T09:00:00Z"},
        {"29/02 of a leap year -> 28/02", "2028-02-29T10:00:00Z", std::nullopt, "2029-02-28T10:00:00Z"},
        {"28/02 before a leap year stays 28/02", "2027-02-28T10:00:00Z", std::nullopt, "2028-02-28T10:00:00Z"},
        {"31/12 late evening", "2026-12-31T23:59:59Z", std::nullopt, "2027-12-31T23:59:59Z"},
        {"measure end: whole last day, Paris winter", "2026-11-01T09:00:00Z", Date{2026, 12, 31}, "2026-12-31T23:00:00Z"},
        {"measure end: whole last day, Paris summer", "2026-11-01T09:00:00Z", Date{2027, 7, 14}, "2027-07-14T22:00:00Z"},
        {"measure end on 29/02", "2027-11-01T09:00:00Z", Date{2028, 2, 29}, "2028-02-29T23:00:00Z"},
        {"measure end before given: already expired", "2026-11-01T09:00:00Z", Date{2026, 10, 1}, "2026-10-01T22:00:00Z"},
    };
    for (const auto& c : cases) {
        ConsentRecord r = consent("C1", at(c.given));
        EXPECT_EQ(effectiveExpiry(r, c.measureEnd).iso(), c.expected) << c.name;
    }
    ConsentRecord r = consent("C1", kGiven);
    r.expiresAt = at("2027-03-01T00:00:00Z");
    EXPECT_EQ(effectiveExpiry(r, Date{2030, 1, 1}).iso(), "2027-03-01T00:00:00Z") << "explicit expiry wins";

    // Leap day through the gate: one second before 28/02/2029 10:00Z allowed, at it expired.
    ConsentRecord leap = consent("C1", at("2028-02-29T10:00:00Z"));
    EXPECT_TRUE(decide(request(at("2029-02-28T09:59:59Z")), {leap}).allowed) << "leap: one second before";
    EXPECT_EQ(decide(request(at("2029-02-28T10:00:00Z")), {leap}).reason, Reason::Expired) << "leap: at";
}

TEST(ConsentPolicy, Instants) {
    EXPECT_EQ(at("1970-01-01T00:00:00Z").epochSeconds, 0);
    EXPECT_EQ(at("2026-11-22T10:15:00+01:00").iso(), "2026-11-22T09:15:00Z");
    EXPECT_EQ(at("1969-12-31T23:59:59Z").epochSeconds, -1);
    EXPECT_EQ(at("1969-12-31T23:59:59Z").iso(), "1969-12-31T23:59:59Z");
    for (const char* bad : {"", "2026-11-22", "2026-11-22T10:15:00", "2026-02-30T10:00:00Z", "2026-11-22T24:00:00Z",
                            "2026-11-22T10:15:00+1:00", "2026-11-22 10:15:00Z"})
        EXPECT_FALSE(Instant::parseIso(bad)) << bad;
    // Summer time changes on the last Sundays of March and October.
    EXPECT_EQ(Instant::parisMidnight(Date{2027, 3, 28}).iso(), "2027-03-27T23:00:00Z") << "day of the spring change";
    EXPECT_EQ(Instant::parisMidnight(Date{2027, 3, 29}).iso(), "2027-03-28T22:00:00Z") << "day after the spring change";
    EXPECT_EQ(Instant::parisMidnight(Date{2027, 10, 31}).iso(), "2027-10-30T22:00:00Z") << "day of the autumn change";
    EXPECT_EQ(Instant::parisMidnight(Date{2027, 11, 1}).iso(), "2027-10-31T23:00:00Z") << "day after the autumn change";
}

// ---- Supersession ------------------------------------------------------------------------------

TEST(ConsentPolicy, SupersessionChains) {
    struct Case {
        const char* name;
        std::vector<ConsentRecord> records;
        bool allowed;
        Reason reason;
        std::string consentId;
    };
    auto withLink = [](ConsentRecord r, const char* supersedes) {
        r.supersedes = supersedes;
        return r;
    };
    auto withdrawn = [](ConsentRecord r, Instant t) {
        r.withdrawnAt = t;
        return r;
    };
    const Instant t1 = kGiven, t2 = kGiven.plusSeconds(60), t3 = kGiven.plusSeconds(120);
    const std::vector<Case> cases = {
        {"consent -> refusal -> consent", {consent("C1", t1), withLink(refusal("R2", t2), "C1"), withLink(consent("C3", t3), "R2")},
         true, Reason::Allowed, "C3"},
        {"consent -> consent -> refusal", {consent("C1", t1), withLink(consent("C2", t2), "C1"), withLink(refusal("R3", t3), "C2")},
         false, Reason::RefusedByHousehold, "R3"},
        {"refusal then consent without link", {refusal("R1", t1), consent("C2", t2)}, true, Reason::Allowed, "C2"},
        {"order of the list does not matter", {withLink(consent("C3", t3), "R2"), withLink(refusal("R2", t2), "C1"), consent("C1", t1)},
         true, Reason::Allowed, "C3"},
        {"superseding consent withdrawn: the older one does not come back",
         {consent("C1", t1), withdrawn(withLink(consent("C2", t2), "C1"), t3)}, false, Reason::Withdrawn, "C2"},
        {"link to a later refusal is ignored", {withLink(consent("C1", t1), "R2"), refusal("R2", t2)}, false,
         Reason::RefusedByHousehold, "R2"},
        {"same instant, the superseding one governs", {consent("C1", t1), withLink(consent("C2", t1), "C1")}, true, Reason::Allowed,
         "C2"},
        {"same instant, consent superseding the refusal", {refusal("R1", t1), withLink(consent("C2", t1), "R1")}, true,
         Reason::Allowed, "C2"},
        {"other bailleur's records do not interfere",
         [&] {
             ConsentRecord other = refusal("X9", t3);
             other.recipientOrgId = "icf-atlantique";
             return std::vector<ConsentRecord>{consent("C1", t1), other};
         }(),
         true, Reason::Allowed, "C1"},
        {"link from another dossier is ignored",
         [&] {
             ConsentRecord other = withLink(consent("C9", t3), "R2");
             other.dossierId = "D-2";
             return std::vector<ConsentRecord>{consent("C1", t1), refusal("R2", t2), other};
         }(),
         false, Reason::RefusedByHousehold, "R2"},
    };
    for (const auto& c : cases) {
        Decision d = decide(request(), c.records);
        EXPECT_EQ(d.allowed, c.allowed) << c.name << ": " << d.message;
        EXPECT_EQ(d.code(), std::string(reasonCode(c.reason))) << c.name;
        EXPECT_EQ(d.consentId, c.consentId) << c.name;
    }
    // The latest scope applies: a narrower later consent narrows what goes.
    Decision d = decide(request(), {consent("C1", t1), withLink(consent("C2", t2, {"logement"}), "C1")});
    ASSERT_TRUE(d.allowed) << d.message;
    EXPECT_EQ(d.allowedFields, (std::set<std::string>{"logement.adresse"})) << "narrower consent";
    // Naming the governing consent is fine.
    TransmissionRequest q = request();
    q.consentId = "C2";
    EXPECT_TRUE(decide(q, {consent("C1", t1), withLink(consent("C2", t2), "C1")}).allowed) << "named governing consent";
}

// ---- Fields -------------------------------------------------------------------------------------

TEST(ConsentPolicy, FieldsByCategory) {
    struct Case {
        const char* name;
        std::set<std::string> categories;
        std::set<std::string> allowed;
        std::map<std::string, std::string> exclusions;
    };
    const std::string NH = kExcludedNotHousing, OS = kExcludedOutOfScope;
    const std::vector<Case> cases = {
        {"everything in scope", kAllCategories,
         {"date", "menage.nom", "menage.telephone", "titulaire.civilite", "titulaire.nom", "titulaire.prenom",
          "titulaire.dateNaissance", "titulaire.qualite", "titulaire.telephone", "titulaire.email", "logement.adresse",
          "logement.loyer", "situation.dette", "occupants.prenom", "actions.action", "actions.echeance"},
         {{"situation.sante", NH}, {"situation.emploi", NH}, {"occupants.handicap", NH}, {"intime", NH}}},
        {"logement only", {"logement"},
         {"logement.adresse"},
         {{"date", OS}, {"menage", OS}, {"titulaire", OS}, {"logement.loyer", OS}, {"situation.dette", OS},
          {"situation.sante", NH}, {"situation.emploi", NH}, {"occupants.prenom", OS}, {"occupants.handicap", NH},
          {"intime", NH}, {"actions", OS}}},
        {"a child category without its group's category goes nowhere", {"dette", "budget", "contact"},
         {},
         {{"date", OS}, {"menage", OS}, {"titulaire", OS}, {"logement", OS}, {"situation.dette", OS},
          {"situation.sante", NH}, {"situation.emploi", NH}, {"occupants.prenom", OS}, {"occupants.handicap", NH},
          {"intime", NH}, {"actions", OS}}},
        {"identite without contact", {"identite"},
         {"menage.nom", "titulaire.civilite", "titulaire.nom", "titulaire.prenom", "titulaire.dateNaissance", "titulaire.qualite",
          "titulaire.telephone", "titulaire.email"},
         {{"date", OS}, {"menage.telephone", OS}, {"logement", OS}, {"situation.dette", OS}, {"situation.sante", NH},
          {"situation.emploi", NH}, {"occupants.prenom", OS}, {"occupants.handicap", NH}, {"intime", NH}, {"actions", OS}}},
        {"non-housing categories listed in scope still never go", {"sante", "emploi", "vie-sociale", "accompagnement"},
         {"actions.action", "actions.echeance"},
         {{"date", OS}, {"menage", OS}, {"titulaire", OS}, {"logement", OS}, {"situation.dette", OS},
          {"situation.sante", NH}, {"situation.emploi", NH}, {"occupants.prenom", OS}, {"occupants.handicap", NH},
          {"intime", NH}}},
    };
    for (const auto& c : cases) {
        Decision d;
        splitFields(*testForm(), ConsentScope{{"fiche-test"}, c.categories}, d);
        EXPECT_EQ(d.allowedFields, c.allowed) << c.name;
        EXPECT_EQ(d.exclusions, c.exclusions) << c.name;
        std::set<std::string> keys;
        for (const auto& [k, v] : c.exclusions) keys.insert(k);
        EXPECT_EQ(d.excludedFields, keys) << c.name;
    }
}

TEST(ConsentPolicy, NonHousingNeverAllowedWhateverTheScope) {
    // A housing: true field inside a housing: false group stays out (intime.adresseAncienne).
    std::vector<std::string> leaves;
    leafPaths(testForm()->fields, "", leaves);
    std::mt19937 rng(6);
    const auto& known = forms::knownCategories();
    for (int i = 0; i < 300; ++i) {
        std::set<std::string> cats;
        for (const auto& c : known)
            if (rng() % 2) cats.insert(c);
        if (i == 0) cats = kAllCategories;
        Decision d;
        splitFields(*testForm(), ConsentScope{{"fiche-test"}, cats}, d);
        std::string name = "random scope #" + std::to_string(i);
        for (const char* never : {"situation.sante", "situation.emploi", "occupants.handicap", "intime.recit", "intime.adresseAncienne"}) {
            EXPECT_FALSE(d.allowedFields.count(never)) << name << ": " << never;
            EXPECT_TRUE(covered(never, d.excludedFields)) << name << ": " << never;
        }
        // Partition: every leaf is allowed or redacted by the composer's rule, never both.
        for (const auto& leaf : leaves)
            EXPECT_NE(d.allowedFields.count(leaf) > 0, covered(leaf, d.excludedFields)) << name << ": " << leaf;
        for (const auto& a : d.allowedFields) EXPECT_TRUE(std::find(leaves.begin(), leaves.end(), a) != leaves.end()) << name << ": " << a;
    }
}

TEST(ConsentPolicy, PermittedDataIsAWhitelist) {
    TransmissionRequest q = request();
    q.data->set("inconnu", "SECRET-INCONNU"); // not in the form: never passes
    Decision d = decide(q, {consent("C1", kGiven)});
    ASSERT_TRUE(d.allowed) << d.message;
    std::string json = str(permittedData(*q.form, q.data, d));
    for (const char* secret : {"SECRET-SANTE", "SECRET-EMPLOI", "SECRET-HANDICAP", "SECRET-RECIT", "SECRET-ANCIENNE", "SECRET-INCONNU",
                               "handicap", "sante", "intime"})
        EXPECT_EQ(json.find(secret), std::string::npos) << secret << " in " << json;
    for (const char* kept : {"Benali", "06 12 34 56 78", "8 allée des Tilleuls", "Dette de 1 834,57 €", "Yanis", "Plan d'apurement",
                             "2026-12-01"})
        EXPECT_NE(json.find(kept), std::string::npos) << kept << " missing from " << json;

    Decision narrow = decide(q, {consent("C1", kGiven, {"logement"})});
    ASSERT_TRUE(narrow.allowed);
    EXPECT_EQ(str(permittedData(*q.form, q.data, narrow)), R"({"logement":{"adresse":"8 allée des Tilleuls"}})");

    Decision refused = decide(q, {refusal("R1", kGiven)});
    EXPECT_EQ(str(permittedData(*q.form, q.data, refused)), "{}") << "refusal";
}

TEST(ConsentPolicy, DecisionWithoutDataJudgesTheDefinition) {
    TransmissionRequest q = request();
    q.data = nullptr;
    EXPECT_TRUE(decide(q, {consent("C1", kGiven, {"logement"})}).allowed) << "definition allows logement.adresse";
    EXPECT_EQ(decide(q, {consent("C1", kGiven, {"sante"})}).reason, Reason::NothingToSend) << "nothing housing-related";
}

TEST(ConsentPolicy, ValidateRecord) {
    ConsentRecord ok = consent("C1", kGiven);
    EXPECT_TRUE(validateRecord(ok).isOk());
    ConsentRecord signedOk = ok;
    signedOk.how = {ConsentProof::Method::SignedAutorisation, std::string(64, 'a'), "AT-1234", ""};
    EXPECT_TRUE(validateRecord(signedOk).isOk()) << "signed autorisation";
    EXPECT_TRUE(validateRecord(refusal("R1", kGiven)).isOk()) << "a refusal needs no scope";

    ConsentRecord bad;
    bad.supersedes = "";
    bad.expiresAt = bad.givenAt;
    Status s = validateRecord(bad);
    ASSERT_FALSE(s.isOk());
    EXPECT_EQ(s.errorCode(), "consent_record_invalid");
    std::set<std::string> paths;
    for (const auto& e : s.details()) paths.insert(e.path);
    for (const char* p : {"/id", "/dossierId", "/recipient", "/givenBy/name", "/how/recordedBy", "/scope/documentKinds",
                          "/scope/categories", "/expiresAt", "/supersedes"})
        EXPECT_TRUE(paths.count(p)) << p;
    ConsentRecord w = ok;
    w.withdrawnAt = kGiven.plusSeconds(-1);
    EXPECT_FALSE(validateRecord(w).isOk()) << "withdrawn before given";
}

TEST(ConsentPolicy, ReasonCodesAreStable) {
    const std::vector<std::pair<Reason, const char*>> codes = {
        {Reason::Allowed, "allowed"}, {Reason::InvalidRequest, "invalid_request"}, {Reason::RecipientNotLandlord, "recipient_not_landlord"},
        {Reason::UnknownCategory, "unknown_category"}, {Reason::NoConsent, "no_consent"}, {Reason::RecipientMismatch, "recipient_mismatch"},
        {Reason::RefusedByHousehold, "refused_by_household"}, {Reason::Withdrawn, "withdrawn"}, {Reason::Expired, "expired"},
        {Reason::NotYetValid, "consent_not_yet_valid"}, {Reason::Superseded, "superseded"},
        {Reason::ConflictingRecords, "conflicting_records"}, {Reason::InvalidConsentRecord, "invalid_consent_record"},
        {Reason::KindOutOfScope, "kind_out_of_scope"}, {Reason::NothingToSend, "nothing_to_send"}};
    for (const auto& [r, code] : codes) EXPECT_STREQ(reasonCode(r), code) << code;
    Decision inconsistent; // reason Allowed but allowed == false: fails closed
    inconsistent.reason = Reason::Allowed;
    EXPECT_EQ(inconsistent.status().code(), Status::Code::PermissionDenied);
}

} // namespace
} // namespace passerelle::consent

// Found by fuzz/ConsentFuzzer.cpp (issue 15 §6): an instant at the edge of int64 overflowed
// (UBSan: signed integer overflow in frenchDateTime) when decide() wrote its message.
namespace passerelle::consent {
TEST(ConsentPolicy, ExtremeInstantsAreShownAtTheCalendarEdges) {
    EXPECT_EQ((Instant{INT64_MAX}).iso(), "9999-12-31T23:59:59Z");
    EXPECT_EQ((Instant{INT64_MIN}).iso(), "0001-01-01T00:00:00Z");
    for (std::int64_t at : std::vector<std::int64_t>{INT64_MIN, INT64_MIN + 1, INT64_MIN / 2, INT64_MAX / 2, INT64_MAX}) {
        Decision d = decide(request(), {refusal("c1", Instant{at})});
        EXPECT_FALSE(d.allowed);
        EXPECT_EQ(d.reason, Reason::RefusedByHousehold);
        EXPECT_TRUE(d.message.find("/0001 à ") != std::string::npos || d.message.find("/9999 à ") != std::string::npos)
            << at << " " << d.message;
    }
}

// Second finding of fuzz/ConsentFuzzer.cpp: the default expiry of a consent given at INT64_MIN
// overflowed (days * 86400); it is now one year after the calendar's first day, and refuses.
TEST(ConsentPolicy, DefaultExpiryOfAnExtremeInstantStaysInTheCalendar) {
    ConsentRecord r = consent("c1", Instant{INT64_MIN});
    r.expiresAt.reset();
    EXPECT_EQ(effectiveExpiry(r, std::nullopt).iso(), "0002-01-01T08:29:52Z"); // the time of day of INT64_MIN
    EXPECT_FALSE(decide(request(), {r}).allowed);
    r.givenAt = Instant{INT64_MAX};
    EXPECT_EQ(effectiveExpiry(r, std::nullopt).iso(), "9999-12-31T15:30:07Z"); // clamped date, time of day of INT64_MAX
    EXPECT_FALSE(decide(request(), {r}).allowed);
}
} // namespace passerelle::consent
