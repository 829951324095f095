// consent::decide on fuzzed records, with the contract's invariants asserted
// (src/consent/ConsentPolicy.h): fail-closed, the governing record, the scope,
// housing-only fields, every leaf accounted for, determinism, permittedData
// whitelisting. Instants range over the whole int64 (extreme instants included).
#include <fuzzer/FuzzedDataProvider.h>

#include <fstream>
#include <map>
#include <sstream>

#include <Poco/JSON/Object.h>

#include "FuzzCommon.h"
#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"

using namespace passerelle;
using consent::ConsentRecord;
using consent::Instant;

namespace {

const std::vector<std::string> kIds = {"c0", "c1", "c2", "c3", "c4"};
const std::vector<std::string> kDossiers = {"d1", "d2"};
const std::vector<std::string> kRecipients = {"b1", "b2"};
const char* kSha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::int64_t instant(FuzzedDataProvider& p) {
    constexpr std::int64_t kBase = 1795000000; // late 2026
    switch (p.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return p.ConsumeIntegral<std::int64_t>(); // anything, extremes included
    case 1: return kBase + p.ConsumeIntegralInRange<std::int64_t>(-10, 10);
    default: return kBase + p.ConsumeIntegralInRange<std::int64_t>(-3 * 365 * 86400LL, 3 * 365 * 86400LL);
    }
}

std::set<std::string> subset(FuzzedDataProvider& p, const std::vector<std::string>& from) {
    std::set<std::string> s;
    for (const auto& x : from)
        if (p.ConsumeBool()) s.insert(x);
    return s;
}

ConsentRecord record(FuzzedDataProvider& p, const std::vector<std::string>& kinds) {
    ConsentRecord r;
    r.id = kIds[p.ConsumeIntegralInRange<std::size_t>(0, kIds.size() - 1)];
    r.dossierId = kDossiers[p.ConsumeIntegralInRange<std::size_t>(0, kDossiers.size() - 1)];
    r.recipientOrgId = kRecipients[p.ConsumeIntegralInRange<std::size_t>(0, kRecipients.size() - 1)];
    r.givenBy.name = p.ConsumeBool() ? "Yannick Le Gall" : "";
    r.givenBy.capacity = p.ConsumeBool() ? consent::ConsentGiver::Capacity::HouseholdMember
                                         : consent::ConsentGiver::Capacity::LegalRepresentative;
    r.kind = p.ConsumeIntegralInRange<int>(0, 3) == 0 ? ConsentRecord::Kind::Refusal : ConsentRecord::Kind::Consent;
    std::vector<std::string> cats = forms::knownCategories();
    cats.push_back("inconnue");
    r.scope.categories = subset(p, cats);
    r.scope.documentKinds = subset(p, kinds);
    r.purpose = "Commission";
    r.givenAt = Instant{instant(p)};
    if (p.ConsumeBool()) {
        r.how.method = consent::ConsentProof::Method::InPerson;
        r.how.recordedBy = p.ConsumeBool() ? "Gwenaëlle Le Bihan" : "";
    } else {
        r.how.method = consent::ConsentProof::Method::SignedAutorisation;
        r.how.documentSha256 = p.ConsumeBool() ? kSha : "zz";
    }
    if (p.ConsumeBool()) r.expiresAt = Instant{p.ConsumeBool() ? instant(p) : (r.givenAt.epochSeconds > INT64_MAX - 86400 ? INT64_MAX : r.givenAt.epochSeconds + 86400)};
    if (p.ConsumeIntegralInRange<int>(0, 3) == 0) r.withdrawnAt = Instant{instant(p)};
    if (p.ConsumeIntegralInRange<int>(0, 2) == 0) r.supersedes = kIds[p.ConsumeIntegralInRange<std::size_t>(0, kIds.size() - 1)];
    r.copieSiao = p.ConsumeBool();
    return r;
}

bool covered(const std::set<std::string>& excluded, const std::string& path) {
    for (const auto& e : excluded)
        if (forms::pathCovers(e, path)) return true;
    return false;
}

void leaves(const std::vector<forms::FieldDef>& fields, const std::string& prefix, std::vector<std::string>& out) {
    for (const auto& f : fields) {
        std::string p = prefix.empty() ? f.name : prefix + "." + f.name;
        if (f.fields.empty()) out.push_back(p);
        else leaves(f.fields, p, out);
    }
}

// Every field on the way to `path` is housing-related with its category in `scope`.
bool housingAndInScope(const forms::FormDef& form, const std::string& path, const std::set<std::string>& scope) {
    std::size_t at = 0;
    while (true) {
        std::size_t dot = path.find('.', at);
        const forms::FieldDef* f = form.field(path.substr(0, dot));
        if (!f || !f->housing || !scope.count(f->category)) return false;
        if (dot == std::string::npos) return true;
        at = dot + 1;
    }
}

const Poco::JSON::Object::Ptr& exampleData(const std::string& form) {
    static std::map<std::string, Poco::JSON::Object::Ptr> cache;
    auto it = cache.find(form);
    if (it != cache.end()) return it->second;
    Poco::JSON::Object::Ptr data;
    const std::string file = fuzz::sourceDir() + "/examples/" +
                             (form == "fiche-navette" ? "fiche-navette-association-vers-bailleur.json"
                                                      : "grille-capacite-habiter-cotes-darmor-initiale.json");
    std::ifstream in(file);
    std::stringstream buf;
    buf << in.rdbuf();
    auto json = forms::parseJsonObject(buf.str());
    if (json.isOk()) data = json.value();
    return cache[form] = data;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    FuzzedDataProvider p(bytes, size);
    static const std::vector<std::string> kinds = {"fiche-navette", "grille-capacite-habiter", "budget-annexe"};
    const std::string formId = p.ConsumeBool() ? "fiche-navette" : "grille-capacite-habiter";
    auto form = fuzz::catalog().forms->find(formId);
    std::vector<ConsentRecord> records;
    for (int n = p.ConsumeIntegralInRange<int>(0, 5); n; --n) {
        records.push_back(record(p, kinds));
        records.back().id = kIds[records.size() - 1]; // ids are unique in the store
    }
    consent::TransmissionRequest req;
    req.form = form;
    req.data = p.ConsumeBool() ? exampleData(formId) : nullptr;
    req.dossierId = p.ConsumeIntegralInRange<int>(0, 9) == 0 ? "" : "d1";
    req.recipient = {p.ConsumeIntegralInRange<int>(0, 9) == 0 ? "b2" : "b1", p.ConsumeIntegralInRange<int>(0, 9) == 0 ? "financeur" : "bailleur"};
    req.now = Instant{instant(p)};
    if (p.ConsumeBool()) req.measureEnd = Date::fromDays(p.ConsumeIntegral<long>() % 4000000);
    if (p.ConsumeIntegralInRange<int>(0, 4) == 0) req.consentId = kIds[p.ConsumeIntegralInRange<std::size_t>(0, kIds.size() - 1)];

    const consent::Decision d = consent::decide(req, records);
    const consent::Decision again = consent::decide(req, records);
    // Determinism.
    if (d.allowed != again.allowed || d.reason != again.reason || d.allowedFields != again.allowedFields ||
        d.excludedFields != again.excludedFields || d.consentId != again.consentId)
        fuzz::finding("decide is not deterministic");
    (void)d.status();
    (void)d.message.size();
    if (!d.allowed) {
        // Fail closed: nothing may go.
        if (!d.allowedFields.empty() || d.copySiao) fuzz::finding("a refusal lets fields or a SIAO copy go");
        auto permitted = consent::permittedData(*form, exampleData(formId), d);
        if (permitted && permitted->size() != 0) fuzz::finding("permittedData of a refusal is not empty");
        return 0;
    }
    // The governing record: a consent of this dossier and this bailleur, in force now.
    const ConsentRecord* g = nullptr;
    for (const auto& r : records)
        if (r.id == d.consentId && r.dossierId == req.dossierId && r.recipientOrgId == req.recipient.orgId) g = &r;
    if (!g) fuzz::finding("allowed without a governing record of this dossier and bailleur");
    if (g->kind != ConsentRecord::Kind::Consent) fuzz::finding("allowed on a refusal");
    if (g->withdrawnAt) fuzz::finding("allowed on a withdrawn consent");
    if (req.recipient.kind != "bailleur") fuzz::finding("allowed to a non-landlord");
    if (req.now < g->givenAt) fuzz::finding("allowed before the consent was given");
    if (!(req.now < consent::effectiveExpiry(*g, req.measureEnd))) fuzz::finding("allowed on an expired consent");
    if (!g->scope.documentKinds.count(form->id)) fuzz::finding("allowed outside the document kinds");
    if (!consent::validateRecord(*g).isOk()) fuzz::finding("allowed on an invalid record");
    // No later record of this pair governs instead, unless another record of the pair given at the
    // same instant or later supersedes it (the contract's pass 4).
    auto samePair = [&](const ConsentRecord& r) { return r.dossierId == req.dossierId && r.recipientOrgId == req.recipient.orgId; };
    for (const auto& r : records) {
        if (!samePair(r) || !(g->givenAt < r.givenAt)) continue;
        bool superseded = false;
        for (const auto& s : records)
            if (&s != &r && samePair(s) && s.supersedes && *s.supersedes == r.id && r.givenAt <= s.givenAt) superseded = true;
        if (!superseded) fuzz::finding("a later record " + r.id + " did not govern");
    }
    // Scope and housing: every allowed leaf, along its whole path.
    for (const auto& f : d.allowedFields) {
        if (!housingAndInScope(*form, f, g->scope.categories)) fuzz::finding("allowed field outside housing or scope: " + f);
        if (covered(d.excludedFields, f)) fuzz::finding("field both allowed and excluded: " + f);
    }
    std::vector<std::string> all;
    leaves(form->fields, "", all);
    for (const auto& leaf : all)
        if (!d.allowedFields.count(leaf) && !covered(d.excludedFields, leaf)) fuzz::finding("leaf neither allowed nor excluded: " + leaf);
    return 0;
}
