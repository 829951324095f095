#include "consent/ConsentPolicy.h"

#include "forms/RowFilter.h"

#include <algorithm>
#include <cstdio>

#include <Poco/JSON/Array.h>

namespace passerelle::consent {

namespace {

using forms::FieldDef;
using forms::FieldType;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::int64_t kSecondsPerDay = 86400;

std::int64_t floorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// 0 = Sunday. 1970-01-01 was a Thursday.
int weekday(long days) { return static_cast<int>(((days % 7) + 7 + 4) % 7); }

long lastSunday(int year, int month) {
    long last = Date{year, month, Date::daysInMonth(year, month)}.toDays();
    return last - weekday(last);
}

// An instant as shown: clamped to the calendar Date computes in (common/Date.h), so that an
// extreme instant (a fuzzed or corrupt record, INT64 seconds) neither overflows nor prints nonsense.
std::int64_t displayable(std::int64_t epochSeconds) {
    static const std::int64_t kMin = static_cast<std::int64_t>(Date{Date::kMinYear, 1, 1}.toDays()) * kSecondsPerDay + 2 * 3600;
    static const std::int64_t kMax = static_cast<std::int64_t>(Date{Date::kMaxYear, 12, 31}.toDays()) * kSecondsPerDay +
                                     kSecondsPerDay - 1 - 2 * 3600;
    return epochSeconds < kMin ? kMin : epochSeconds > kMax ? kMax : epochSeconds;
}

// EU summer time (since 1996): from the last Sunday of March 01:00 UTC to the
// last Sunday of October 01:00 UTC, Paris is UTC+2; otherwise UTC+1.
std::int64_t parisOffsetSeconds(Instant t) {
    int year = Date::fromDays(static_cast<long>(floorDiv(t.epochSeconds, kSecondsPerDay))).year;
    std::int64_t start = static_cast<std::int64_t>(lastSunday(year, 3)) * kSecondsPerDay + 3600;
    std::int64_t end = static_cast<std::int64_t>(lastSunday(year, 10)) * kSecondsPerDay + 3600;
    return t.epochSeconds >= start && t.epochSeconds < end ? 7200 : 3600;
}

// dd/mm/yyyy à HH:MM, Paris time: what a person reads in a message.
std::string frenchDateTime(Instant t) {
    t.epochSeconds = displayable(t.epochSeconds);
    std::int64_t local = t.epochSeconds + parisOffsetSeconds(t);
    long days = static_cast<long>(floorDiv(local, kSecondsPerDay));
    std::int64_t secs = local - static_cast<std::int64_t>(days) * kSecondsPerDay;
    char buf[32];
    std::snprintf(buf, sizeof buf, " à %02d:%02d", static_cast<int>(secs / 3600), static_cast<int>((secs % 3600) / 60));
    return Date::fromDays(days).french() + buf;
}

bool isLowerHex(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool knownCategory(const std::string& c) {
    const auto& known = forms::knownCategories();
    return std::find(known.begin(), known.end(), c) != known.end();
}

std::string join(const std::string& prefix, const std::string& name) { return prefix.empty() ? name : prefix + "." + name; }

// Pass 3: the first field (depth first, in form order) whose category is unknown.
const FieldDef* findUnknownCategory(const std::vector<FieldDef>& fields, const std::string& prefix, std::string& path) {
    for (const auto& f : fields) {
        std::string p = join(prefix, f.name);
        if (!knownCategory(f.category)) { path = p; return &f; }
        if (const FieldDef* bad = findUnknownCategory(f.fields, p, path)) return bad;
    }
    return nullptr;
}

// Pass 9, for one node. A field goes only if it and every group containing it
// are related to housing and have their category in the scope (fail closed: an
// excluded path hides its descendants in the composer as well). Returns the
// excluded entries of the subtree; a subtree with no allowed leaf and a single
// reason collapses into one entry for the node itself.
struct Split {
    std::set<std::string> allowed;
    std::map<std::string, std::string> excluded;
};

void splitNode(const FieldDef& f, const std::string& path, bool parentHousing, bool parentInScope,
               const ConsentScope& scope, Split& out) {
    const bool housing = parentHousing && f.housing && isTransmissibleCategory(f.category);
    const bool inScope = parentInScope && scope.categories.count(f.category) > 0;
    if (f.fields.empty()) {
        if (!housing) out.excluded[path] = kExcludedNotHousing;
        else if (!inScope) out.excluded[path] = kExcludedOutOfScope;
        else out.allowed.insert(path);
        return;
    }
    Split sub;
    for (const auto& c : f.fields) splitNode(c, path + "." + c.name, housing, inScope, scope, sub);
    if (sub.allowed.empty() && !sub.excluded.empty()) {
        const std::string& first = sub.excluded.begin()->second;
        bool uniform = std::all_of(sub.excluded.begin(), sub.excluded.end(), [&](const auto& e) { return e.second == first; });
        if (uniform) {
            out.excluded[path] = first;
            return;
        }
    }
    out.allowed.insert(sub.allowed.begin(), sub.allowed.end());
    out.excluded.insert(sub.excluded.begin(), sub.excluded.end());
}

bool hasValue(const Var& v) {
    if (v.isEmpty()) return false;
    if (v.isString()) return !v.extract<std::string>().empty();
    if (v.type() == typeid(Array::Ptr)) return v.extract<Array::Ptr>()->size() > 0;
    return true; // numbers and booleans (false is an answer too)
}

Var member(const Var& obj, const std::string& name) {
    if (obj.type() != typeid(Object::Ptr)) return Var();
    auto o = obj.extract<Object::Ptr>();
    return o && o->has(name) ? o->get(name) : Var();
}

// Does any allowed leaf under `f` (at `path`) hold a value in `v`?
bool anyAllowedValue(const FieldDef& f, const std::string& path, const Var& v, const std::set<std::string>& allowed) {
    if (f.fields.empty()) return allowed.count(path) > 0 && hasValue(v);
    if (f.type == FieldType::Table) {
        if (v.type() != typeid(Array::Ptr)) return false;
        auto rows = v.extract<Array::Ptr>();
        for (unsigned r = 0; r < rows->size(); ++r)
            for (const auto& c : f.fields)
                if (anyAllowedValue(c, path + "." + c.name, member(rows->get(r), c.name), allowed)) return true;
        return false;
    }
    for (const auto& c : f.fields)
        if (anyAllowedValue(c, path + "." + c.name, member(v, c.name), allowed)) return true;
    return false;
}

// Whitelist copy of one value under `f` at `path`; empty Var when nothing may go.
Var copyAllowed(const FieldDef& f, const std::string& path, const Var& v, const std::set<std::string>& allowed) {
    if (v.isEmpty()) return Var();
    if (f.fields.empty()) return allowed.count(path) ? v : Var();
    auto copyObject = [&](const Var& src) -> Object::Ptr {
        if (src.type() != typeid(Object::Ptr)) return nullptr;
        Object::Ptr dst = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const auto& c : f.fields) {
            Var cv = copyAllowed(c, path + "." + c.name, member(src, c.name), allowed);
            if (!cv.isEmpty()) dst->set(c.name, cv);
        }
        return dst;
    };
    if (f.type == FieldType::Table) {
        if (v.type() != typeid(Array::Ptr)) return Var();
        bool anyColumn = std::any_of(f.fields.begin(), f.fields.end(), [&](const FieldDef& c) {
            std::string p = path + "." + c.name;
            auto it = allowed.lower_bound(p);
            return it != allowed.end() && (*it == p || it->compare(0, p.size() + 1, p + ".") == 0);
        });
        if (!anyColumn) return Var();
        auto rows = v.extract<Array::Ptr>();
        Array::Ptr dst = new Array;
        for (unsigned r = 0; r < rows->size(); ++r) {
            Object::Ptr row = copyObject(rows->get(r));
            dst->add(row ? Var(row) : Var(Object::Ptr(new Object(Poco::JSON_PRESERVE_KEY_ORDER))));
        }
        return dst;
    }
    Object::Ptr o = copyObject(v);
    if (!o || o->size() == 0) return Var();
    return o;
}

Decision refuse(Reason reason, std::string message, const forms::FormDef* form) {
    Decision d;
    d.allowed = false;
    d.reason = reason;
    d.message = std::move(message);
    // A caller that ignores `allowed` and renders anyway still shows nothing.
    if (form)
        for (const auto& f : form->fields) d.excludedFields.insert(f.name);
    return d;
}

} // namespace

// ---- Instant --------------------------------------------------------------------------------------

// iso() shows instants within the calendar of common/Date.h (years 1 to 9999).
const std::int64_t kIsoMin = static_cast<std::int64_t>(Date{Date::kMinYear, 1, 1}.toDays()) * kSecondsPerDay;
const std::int64_t kIsoMax = static_cast<std::int64_t>(Date{Date::kMaxYear, 12, 31}.toDays()) * kSecondsPerDay + kSecondsPerDay - 1;

std::optional<Instant> Instant::parseIso(const std::string& t) {
    // YYYY-MM-DDTHH:MM:SS then Z or ±HH:MM
    if (t.size() < 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':') return std::nullopt;
    auto date = Date::parseIso(std::string_view(t).substr(0, 10));
    if (!date) return std::nullopt;
    auto num2 = [&](std::size_t pos) {
        if (pos + 1 >= t.size() || t[pos] < '0' || t[pos] > '9' || t[pos + 1] < '0' || t[pos + 1] > '9') return -1;
        return (t[pos] - '0') * 10 + (t[pos + 1] - '0');
    };
    int h = num2(11), m = num2(14), s = num2(17);
    if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59) return std::nullopt;
    std::int64_t offset = 0;
    std::string zone = t.substr(19);
    if (zone != "Z") {
        if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') return std::nullopt;
        int oh = num2(20), om = num2(23);
        if (oh < 0 || oh > 14 || om < 0 || om > 59) return std::nullopt;
        offset = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
    }
    return Instant{static_cast<std::int64_t>(date->toDays()) * kSecondsPerDay + h * 3600 + m * 60 + s - offset};
}

std::string Instant::iso() const {
    const std::int64_t shown = epochSeconds < kIsoMin ? kIsoMin : epochSeconds > kIsoMax ? kIsoMax : epochSeconds;
    long days = static_cast<long>(floorDiv(shown, kSecondsPerDay));
    std::int64_t secs = shown - static_cast<std::int64_t>(days) * kSecondsPerDay;
    char buf[16];
    std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", static_cast<int>(secs / 3600), static_cast<int>((secs % 3600) / 60),
                  static_cast<int>(secs % 60));
    return Date::fromDays(days).iso() + buf;
}

Instant Instant::parisMidnight(const Date& date) {
    // Local midnight never falls in a transition hour (02:00/03:00), so the offset
    // is that of the day: summer time iff last Sunday of March < date <= last Sunday of October.
    long d = date.toDays();
    bool summer = d > lastSunday(date.year, 3) && d <= lastSunday(date.year, 10);
    return Instant{static_cast<std::int64_t>(d) * kSecondsPerDay - (summer ? 7200 : 3600)};
}

// ---- Records --------------------------------------------------------------------------------------

Instant effectiveExpiry(const ConsentRecord& r, const std::optional<Date>& measureEnd) {
    if (r.expiresAt) return *r.expiresAt;
    if (measureEnd) return Instant::parisMidnight(measureEnd->addDays(1));
    long days = static_cast<long>(floorDiv(r.givenAt.epochSeconds, kSecondsPerDay));
    // The remainder, not epochSeconds - days * 86400: that product overflows at the edges of int64.
    std::int64_t timeOfDay = ((r.givenAt.epochSeconds % kSecondsPerDay) + kSecondsPerDay) % kSecondsPerDay;
    // One calendar year, clamped to the month's end: 29/02 -> 28/02 (never 01/03: shorter is the safe side).
    Date anniversary = Date::fromDays(days).addMonths(12);
    return Instant{static_cast<std::int64_t>(anniversary.toDays()) * kSecondsPerDay + timeOfDay};
}

const std::vector<CategoryRule>& categoryTable() {
    // "à l'exclusion de certaines informations sans lien avec le logement" (seed 004):
    // health, family life, employment and justice are never the landlord's concern.
    static const std::set<std::string> never = {"sante", "famille", "emploi", "justice"};
    static const std::vector<CategoryRule> table = [] {
        std::vector<CategoryRule> t;
        for (const auto& c : forms::knownCategories()) t.push_back({c, forms::categoryLabel(c), never.count(c) == 0});
        return t;
    }();
    return table;
}

bool isTransmissibleCategory(const std::string& code) {
    for (const auto& r : categoryTable())
        if (r.code == code) return r.transmissible;
    return false;
}

Status validateRecord(const ConsentRecord& r) {
    std::vector<FieldError> e;
    if (r.id.empty()) e.push_back({"/id", "required", "Identifiant de l'enregistrement manquant."});
    if (r.dossierId.empty()) e.push_back({"/dossierId", "required", "Dossier manquant."});
    if (r.recipientOrgId.empty()) e.push_back({"/recipient", "required", "Bailleur destinataire manquant."});
    if (r.givenBy.name.empty())
        e.push_back({"/givenBy/name", "required", "Nommer le membre du ménage ou le représentant légal qui s'exprime."});
    if (r.how.method == ConsentProof::Method::SignedAutorisation) {
        if (r.how.documentSha256.size() != 64 || !isLowerHex(r.how.documentSha256))
            e.push_back({"/how/documentSha256", "bad_sha256",
                         "Empreinte SHA-256 de l'autorisation signée invalide (64 chiffres hexadécimaux en minuscules)."});
    } else if (r.how.recordedBy.empty()) {
        e.push_back({"/how/recordedBy", "required", "Nommer le référent qui a recueilli l'accord en personne."});
    }
    if (r.kind == ConsentRecord::Kind::Consent) {
        if (r.scope.documentKinds.empty())
            e.push_back({"/scope/documentKinds", "required", "L'autorisation doit nommer au moins un type de document."});
        if (r.scope.categories.empty())
            e.push_back({"/scope/categories", "required", "L'autorisation doit nommer au moins une catégorie d'informations."});
        for (const auto& c : r.scope.categories)
            if (!knownCategory(c)) e.push_back({"/scope/categories", "unknown_category", "Catégorie d'informations inconnue : « " + c + " »."});
    }
    if (r.expiresAt && *r.expiresAt <= r.givenAt)
        e.push_back({"/expiresAt", "before_given", "L'échéance doit suivre la date de l'accord."});
    if (r.withdrawnAt && *r.withdrawnAt < r.givenAt)
        e.push_back({"/withdrawnAt", "before_given", "Le retrait ne peut précéder l'accord."});
    if (r.supersedes && (r.supersedes->empty() || *r.supersedes == r.id))
        e.push_back({"/supersedes", "bad_reference", "Un enregistrement ne peut remplacer que un autre enregistrement."});
    if (e.empty()) return Status::ok();
    return Status::invalidArgument("consent_record_invalid", "Enregistrement du consentement invalide.", std::move(e));
}

// ---- Decision -------------------------------------------------------------------------------------

const char* reasonCode(Reason r) {
    switch (r) {
    case Reason::Allowed: return "allowed";
    case Reason::InvalidRequest: return "invalid_request";
    case Reason::RecipientNotLandlord: return "recipient_not_landlord";
    case Reason::UnknownCategory: return "unknown_category";
    case Reason::NoConsent: return "no_consent";
    case Reason::RecipientMismatch: return "recipient_mismatch";
    case Reason::RefusedByHousehold: return "refused_by_household";
    case Reason::Withdrawn: return "withdrawn";
    case Reason::Expired: return "expired";
    case Reason::NotYetValid: return "consent_not_yet_valid";
    case Reason::Superseded: return "superseded";
    case Reason::ConflictingRecords: return "conflicting_records";
    case Reason::InvalidConsentRecord: return "invalid_consent_record";
    case Reason::KindOutOfScope: return "kind_out_of_scope";
    case Reason::NothingToSend: return "nothing_to_send";
    }
    return "unknown";
}

Status Decision::status() const {
    switch (reason) {
    case Reason::Allowed:
        if (allowed) return Status::ok();
        break; // inconsistent: fail closed below
    case Reason::InvalidRequest:
        return Status::invalidArgument(code(), message);
    case Reason::Withdrawn:
    case Reason::Expired:
    case Reason::NotYetValid:
    case Reason::Superseded:
    case Reason::ConflictingRecords:
    case Reason::InvalidConsentRecord:
        return Status::failedPrecondition(code(), message);
    default:
        break;
    }
    return Status::permissionDenied(code(), message.empty() ? "Transmission refusée." : message);
}

void splitFields(const forms::FormDef& form, const ConsentScope& scope, Decision& out) {
    Split split;
    for (const auto& f : form.fields) splitNode(f, f.name, /*parentHousing=*/true, /*parentInScope=*/true, scope, split);
    out.allowedFields = std::move(split.allowed);
    out.excludedFields.clear();
    out.exclusions = std::move(split.excluded);
    for (const auto& [path, why] : out.exclusions) out.excludedFields.insert(path);
}

Decision decide(const TransmissionRequest& q, const std::vector<ConsentRecord>& records) {
    const forms::FormDef* form = q.form.get();

    // Pass 1: the request names a document, a dossier and a recipient.
    if (!form || q.dossierId.empty() || q.recipient.orgId.empty())
        return refuse(Reason::InvalidRequest, "Demande de transmission incomplète : document, dossier ou destinataire manquant.", form);

    // Pass 2: only a bailleur receives documents under the household's consent.
    if (q.recipient.kind != "bailleur")
        return refuse(Reason::RecipientNotLandlord,
                      "Seul un bailleur peut recevoir ce document avec l'autorisation du ménage (destinataire « " + q.recipient.orgId +
                          " » de type « " + q.recipient.kind + " »).",
                      form);

    // Pass 3: a category the service does not know cannot be judged: refuse everything.
    std::string badPath;
    if (const FieldDef* bad = findUnknownCategory(form->fields, "", badPath))
        return refuse(Reason::UnknownCategory,
                      "Le champ « " + badPath + " » porte une catégorie d'informations inconnue (« " + bad->category +
                          " ») : rien n'est transmis.",
                      form);

    // Pass 4: the governing record for (dossier, bailleur).
    std::vector<const ConsentRecord*> pair;
    bool anyForDossier = false;
    for (const auto& r : records) {
        if (r.dossierId != q.dossierId) continue;
        anyForDossier = true;
        if (r.recipientOrgId == q.recipient.orgId) pair.push_back(&r);
    }
    if (!anyForDossier)
        return refuse(Reason::NoConsent,
                      "Aucune autorisation de transmission du ménage n'est enregistrée pour ce dossier : rien n'est transmis.", form);
    if (pair.empty())
        return refuse(Reason::RecipientMismatch,
                      "Le ménage n'a autorisé aucune transmission à ce bailleur (« " + q.recipient.orgId + " ») : rien n'est transmis.",
                      form);
    // A supersedes link counts only within the pair and towards an earlier (or same-instant) record;
    // any other link is ignored, so it can never revive an older consent over a later refusal.
    std::set<std::string> superseded;
    for (const ConsentRecord* r : pair) {
        if (!r->supersedes) continue;
        for (const ConsentRecord* s : pair)
            if (s != r && s->id == *r->supersedes && s->givenAt <= r->givenAt) superseded.insert(s->id);
    }
    std::vector<const ConsentRecord*> heads;
    for (const ConsentRecord* r : pair)
        if (!superseded.count(r->id)) heads.push_back(r);
    if (heads.empty())
        return refuse(Reason::ConflictingRecords,
                      "Les enregistrements du consentement du ménage pour ce bailleur se remplacent mutuellement : rien n'est transmis.",
                      form);
    Instant latest = heads.front()->givenAt;
    for (const ConsentRecord* r : heads) latest = std::max(latest, r->givenAt);
    std::vector<const ConsentRecord*> tied;
    for (const ConsentRecord* r : heads)
        if (r->givenAt == latest) tied.push_back(r);
    const ConsentRecord* governing = tied.front();
    if (tied.size() > 1) {
        auto refusal = std::find_if(tied.begin(), tied.end(), [](const ConsentRecord* r) { return r->kind == ConsentRecord::Kind::Refusal; });
        if (refusal == tied.end()) {
            Decision d = refuse(Reason::ConflictingRecords,
                                "Plusieurs autorisations du ménage pour ce bailleur portent le même instant (" + frenchDateTime(latest) +
                                    ") sans que l'une remplace l'autre : rien n'est transmis.",
                                form);
            return d;
        }
        governing = *refusal;
    }

    // Pass 5: "Le ménage garde la possibilité de refuser cette transmission." A refusal
    // governs whatever its scope, its dates or the consent the caller names.
    if (governing->kind == ConsentRecord::Kind::Refusal) {
        Decision d = refuse(Reason::RefusedByHousehold,
                            "Le ménage a refusé la transmission à ce bailleur (le " + frenchDateTime(governing->givenAt) +
                                ") : rien n'est transmis.",
                            form);
        d.consentId = governing->id;
        return d;
    }

    // Pass 6: the consent the caller relies on must be the governing one.
    if (q.consentId && *q.consentId != governing->id) {
        bool inPair = std::any_of(pair.begin(), pair.end(), [&](const ConsentRecord* r) { return r->id == *q.consentId; });
        Decision d = inPair ? refuse(Reason::Superseded,
                                     "L'autorisation « " + *q.consentId + " » a été remplacée par un enregistrement plus récent (« " +
                                         governing->id + " ») : rien n'est transmis.",
                                     form)
                            : refuse(Reason::NoConsent,
                                     "L'autorisation « " + *q.consentId + " » n'existe pas pour ce dossier et ce bailleur : rien n'est transmis.",
                                     form);
        d.consentId = governing->id;
        return d;
    }

    // Pass 7: the governing consent is well formed and in force at `now`: [givenAt, expiry), never withdrawn.
    const Instant expiry = effectiveExpiry(*governing, q.measureEnd);
    auto refuseWith = [&](Reason reason, std::string message) {
        Decision d = refuse(reason, std::move(message), form);
        d.consentId = governing->id;
        d.consentExpiresAt = expiry;
        return d;
    };
    if (Status valid = validateRecord(*governing); !valid.isOk())
        return refuseWith(Reason::InvalidConsentRecord,
                          "L'autorisation « " + governing->id + " » est incomplète ou incohérente (" + valid.details().front().message +
                              ") : rien n'est transmis.");
    if (governing->withdrawnAt)
        return refuseWith(Reason::Withdrawn, "Le ménage a retiré son autorisation le " + frenchDateTime(*governing->withdrawnAt) +
                                                 " : rien n'est transmis.");
    if (q.now < governing->givenAt)
        return refuseWith(Reason::NotYetValid,
                          "L'autorisation du ménage ne prend effet que le " + frenchDateTime(governing->givenAt) + " : rien n'est transmis.");
    if (q.now >= expiry)
        return refuseWith(Reason::Expired, "L'autorisation du ménage a expiré le " + frenchDateTime(expiry) +
                                               " : rien n'est transmis. Recueillir une nouvelle autorisation.");

    // Pass 8: the document kind is in scope.
    if (!governing->scope.documentKinds.count(form->id))
        return refuseWith(Reason::KindOutOfScope,
                          "L'autorisation du ménage ne couvre pas ce type de document (« " + form->title + " ») : rien n'est transmis.");

    // Pass 9: the fields. "à l'exclusion de certaines informations sans lien avec le
    // logement": housing: false never goes; a category outside the scope does not go.
    Decision d;
    splitFields(*form, governing->scope, d);
    // Rows classified by a column: "Reprendre le suivi au CMP" under « Santé et soins » never goes,
    // even in a table whose own category is housing-related.
    if (q.data) {
        for (const auto& t : forms::classifiedTables(*form, q.data)) {
            if (!t.rows) continue;
            for (std::size_t i = 0; i < t.rows->size(); ++i) {
                auto row = t.rows->getObject(static_cast<unsigned>(i));
                if (!row || !row->has(t.table->categoryFrom)) continue; // no value: the table's own category applies
                const std::string value = row->get(t.table->categoryFrom).toString();
                auto rc = t.table->rowCategories.find(value);
                const char* why = nullptr;
                if (rc == t.table->rowCategories.end() || !rc->second.housing || !isTransmissibleCategory(rc->second.category))
                    why = kExcludedNotHousing; // fail closed
                else if (!governing->scope.categories.count(rc->second.category)) why = kExcludedOutOfScope;
                if (!why) continue;
                d.excludedRows[t.path].insert(i);
                d.exclusions[t.path + "[" + std::to_string(i) + "]"] = why;
            }
        }
    }
    const Object::Ptr sent = d.excludedRows.empty() || !q.data ? q.data : forms::withoutRows(q.data, d.excludedRows);
    bool anything = !d.allowedFields.empty();
    if (anything && sent) {
        anything = false;
        for (const auto& f : form->fields)
            if (anyAllowedValue(f, f.name, sent->has(f.name) ? sent->get(f.name) : Var(), d.allowedFields)) { anything = true; break; }
    }
    if (!anything)
        return refuseWith(Reason::NothingToSend, "Aucune information liée au logement et couverte par l'autorisation du ménage ne "
                                                 "figure dans ce document : rien n'est transmis.");
    d.allowed = true;
    d.reason = Reason::Allowed;
    d.consentId = governing->id;
    d.consentExpiresAt = expiry;
    d.copySiao = governing->copieSiao;
    d.message = "Transmission autorisée par le ménage (autorisation « " + governing->id + " », valable jusqu'au " +
                frenchDateTime(expiry) + ")";
    d.message += d.excludedFields.empty() ? "." : " ; " + std::to_string(d.excludedFields.size()) + " rubrique(s) non transmise(s).";
    return d;
}

Poco::JSON::Object::Ptr permittedData(const forms::FormDef& form, const Poco::JSON::Object::Ptr& data, const Decision& decision) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (!decision.allowed || !data) return out;
    const Object::Ptr kept = decision.excludedRows.empty() ? data : forms::withoutRows(data, decision.excludedRows);
    for (const auto& f : form.fields) {
        if (!kept->has(f.name)) continue;
        Var v = copyAllowed(f, f.name, kept->get(f.name), decision.allowedFields);
        if (!v.isEmpty()) out->set(f.name, v);
    }
    return out;
}

} // namespace passerelle::consent
