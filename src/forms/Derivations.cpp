#include "forms/Derivations.h"

#include <algorithm>

#include <Poco/JSON/Array.h>

namespace passerelle::forms {

using money::Cents;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// ---- Pure computations --------------------------------------------------------------------------

std::optional<long long> tauxEffort(Cents loyer, Cents charges, Cents ressources, Cents aideLogement) {
    if (loyer < 0 || charges < 0 || aideLogement < 0 || ressources <= 0) return std::nullopt;
    __extension__ using Wide = __int128;
    Wide cout = static_cast<Wide>(loyer) + charges - aideLogement;
    if (cout < 0) return std::nullopt;
    // Round half up: floor((2 × cost × 10 000 + ressources) / (2 × ressources)).
    Wide q = (cout * 20000 + ressources) / (static_cast<Wide>(ressources) * 2);
    return static_cast<long long>(q);
}

namespace {

PlanApurement planError(const char* field, const char* rule, std::string message) {
    PlanApurement p;
    p.error = PlanError{field, rule, std::move(message)};
    return p;
}

std::optional<PlanApurement> commonChecks(Cents dette, int maxEcheances, long long n) {
    if (n > maxEcheances) {
        Cents minimum = (dette + maxEcheances - 1) / maxEcheances;
        return planError("mensualite", "apurement_trop_d_echeances",
                         "Ce plan demanderait " + std::to_string(n) + " échéances, pour " + std::to_string(maxEcheances) +
                             " au plus : prévoir une mensualité d'au moins " + money::format(minimum) + ".");
    }
    return std::nullopt;
}

std::vector<Echeance> schedule(Cents dette, Cents courante, long long n, Date premiere) {
    std::vector<Echeance> out;
    out.reserve(static_cast<std::size_t>(n));
    Cents restant = dette;
    for (long long i = 0; i < n; ++i) {
        Cents montant = i + 1 < n ? courante : restant; // the last instalment settles the balance
        restant -= montant;
        out.push_back({premiere.addMonths(static_cast<int>(i)), montant, restant});
    }
    return out;
}

} // namespace

PlanApurement planApurementParMensualite(Cents dette, Cents mensualite, Date premiere, int maxEcheances) {
    if (dette <= 0)
        return planError("montantDette", "apurement_dette_non_positive",
                         "Le montant de la dette doit être supérieur à 0 € pour établir un plan d'apurement.");
    if (mensualite <= 0) return planError("mensualite", "apurement_mensualite_non_positive", "La mensualité doit être supérieure à 0 €.");
    if (mensualite > dette)
        return planError("mensualite", "apurement_mensualite_superieure_dette",
                         "La mensualité (" + money::format(mensualite) + ") dépasse la dette (" + money::format(dette) +
                             ") : indiquer une mensualité au plus égale à la dette.");
    long long n = (dette + mensualite - 1) / mensualite;
    if (auto e = commonChecks(dette, maxEcheances, n)) return *e;
    PlanApurement p;
    p.echeances = schedule(dette, mensualite, n, premiere);
    return p;
}

PlanApurement planApurementParNombre(Cents dette, int nombreEcheances, Date premiere, int maxEcheances) {
    if (dette <= 0)
        return planError("montantDette", "apurement_dette_non_positive",
                         "Le montant de la dette doit être supérieur à 0 € pour établir un plan d'apurement.");
    if (nombreEcheances <= 0)
        return planError("nombreEcheances", "apurement_nombre_non_positif", "Le nombre d'échéances doit être d'au moins 1.");
    if (nombreEcheances > maxEcheances)
        return planError("nombreEcheances", "apurement_trop_d_echeances",
                         "Ce plan compte " + std::to_string(nombreEcheances) + " échéances, pour " + std::to_string(maxEcheances) +
                             " au plus.");
    if (dette < nombreEcheances)
        return planError("nombreEcheances", "apurement_echeance_nulle",
                         "Dette trop faible pour " + std::to_string(nombreEcheances) + " échéances : une échéance serait de 0,00 €.");
    PlanApurement p;
    p.echeances = schedule(dette, dette / nombreEcheances, nombreEcheances, premiere);
    return p;
}

Date anniversaire(Date debut, int months) {
    Date d = debut.addMonths(months);
    // addMonths clamps a missing day to the month's end; the term then falls on the next day.
    return d.day == debut.day ? d : d.addDays(1);
}

Date finDePeriode(Date debut, int months) { return anniversaire(debut, months).addDays(-1); }

PeriodesSousLocation periodesSousLocation(Date debut, int dureeMois) {
    PeriodesSousLocation p;
    p.debut = debut;
    p.finPremierePeriode = finDePeriode(debut, dureeMois);
    p.debutRenouvellement = p.finPremierePeriode.addDays(1);
    p.finRenouvellement = finDePeriode(debut, 2 * dureeMois);
    return p;
}

std::string centsToJson(Cents cents) {
    bool negative = cents < 0;
    unsigned long long abs = negative ? static_cast<unsigned long long>(-(cents + 1)) + 1ULL : static_cast<unsigned long long>(cents);
    std::string frac = std::to_string(abs % 100);
    if (frac.size() < 2) frac.insert(0, 1, '0');
    return (negative ? "-" : "") + std::to_string(abs / 100) + "." + frac;
}

// ---- Derivations on form data -------------------------------------------------------------------

namespace {

// A group of the form (or the root) holding at least one field computed by a derivation.
struct Site {
    std::vector<std::string> path; // group names from the root
    const std::vector<FieldDef>* fields;
};

void findSites(const std::vector<FieldDef>& fields, const std::string& derivation, std::vector<std::string>& path,
               std::vector<Site>& out) {
    if (std::any_of(fields.begin(), fields.end(), [&](const FieldDef& f) { return f.computed == derivation; }))
        out.push_back({path, &fields});
    for (const auto& f : fields) {
        if (!f.isComposite()) continue; // tables hold rows, not a single group
        path.push_back(f.name);
        findSites(f.fields, derivation, path, out);
        path.pop_back();
    }
}

std::vector<Site> sites(const FormDef& def, const std::string& derivation) {
    std::vector<Site> out;
    std::vector<std::string> path;
    findSites(def.fields, derivation, path, out);
    return out;
}

// The data object of a site; null when the (optional) group is absent.
Object::Ptr objectAt(const Object::Ptr& data, const std::vector<std::string>& path) {
    Object::Ptr o = data;
    for (const auto& name : path) {
        if (!o || !o->has(name)) return nullptr;
        Var v = o->get(name);
        if (v.type() != typeid(Object::Ptr)) return nullptr;
        o = v.extract<Object::Ptr>();
    }
    return o;
}

// Field names are identifiers ([A-Za-z][A-Za-z0-9_]*): no JSON pointer escaping needed.
std::string pointer(const Site& s, const std::string& field) {
    std::string p;
    for (const auto& n : s.path) p += "/" + n;
    return p + "/" + field;
}

bool present(const Object::Ptr& o, const std::string& name) {
    if (!o->has(name)) return false;
    Var v = o->get(name);
    return !v.isEmpty() && !(v.isString() && v.extract<std::string>().find_first_not_of(" \t") == std::string::npos);
}

// Readers of validated values (absent → nothing).
std::optional<Cents> amountOf(const Object::Ptr& o, const std::string& name) {
    if (!present(o, name)) return std::nullopt;
    Var v = o->get(name);
    return v.isString() ? money::parse(v.extract<std::string>()) : money::fromDouble(v.convert<double>());
}

std::optional<Date> dateOf(const Object::Ptr& o, const std::string& name) {
    if (!present(o, name)) return std::nullopt;
    return Date::parseIso(o->get(name).toString());
}

std::optional<long long> integerOf(const Object::Ptr& o, const std::string& name) {
    if (!present(o, name)) return std::nullopt;
    return o->get(name).convert<long long>();
}

std::optional<long long> percentOf(const Object::Ptr& o, const std::string& name) {
    if (!present(o, name)) return std::nullopt;
    return money::fromDouble(o->get(name).convert<double>());
}

// Writes an output only when the form declares it as computed by this derivation.
class Output {
public:
    Output(const Site& s, const Object::Ptr& o, const char* derivation) : _s(s), _o(o), _derivation(derivation) {}
    bool declared(const std::string& name) const {
        for (const auto& f : *_s.fields) if (f.name == name && f.computed == _derivation) return true;
        return false;
    }
    template <typename T>
    void set(const std::string& name, const T& value) {
        if (declared(name)) _o->set(name, value);
    }

private:
    const Site& _s;
    Object::Ptr _o;
    std::string _derivation;
};

long long parameterInt(const FormDef& def, const char* key, long long fallback) {
    if (!def.parameters || !def.parameters->has(key)) return fallback;
    Var v = def.parameters->get(key);
    return v.isNumeric() ? v.convert<long long>() : fallback;
}

std::string percentText(long long hundredths) {
    std::string s = money::format(hundredths, false);
    if (s.size() > 3 && s.compare(s.size() - 3, 3, ",00") == 0) s.resize(s.size() - 3);
    return s + "\xC2\xA0%";
}

double percentJson(long long hundredths) { return static_cast<double>(hundredths) / 100.0; }

// -- tauxEffort
std::vector<FieldError> deriveTauxEffort(const FormDef& def, Object::Ptr& data) {
    std::vector<FieldError> errors;
    for (const auto& s : sites(def, "tauxEffort")) {
        Object::Ptr o = objectAt(data, s.path);
        if (!o) continue;
        auto loyer = amountOf(o, "loyer"), charges = amountOf(o, "charges"), ressources = amountOf(o, "ressourcesMensuelles");
        if (!loyer || !charges) continue;
        Cents aide = amountOf(o, "aideLogement").value_or(0);
        if (aide > *loyer + *charges) {
            errors.push_back({pointer(s, "aideLogement"), "aide_superieure_depense",
                              "L'aide au logement (" + money::format(aide) + ") dépasse le loyer et les charges (" +
                                  money::format(*loyer + *charges) + ")."});
            continue;
        }
        Output out(s, o, "tauxEffort");
        out.set("loyerResiduel", centsToJson(*loyer + *charges - aide));
        long long seuil = percentOf(o, "seuilTauxEffort")
                              .value_or(def.parameters && def.parameters->has("seuilTauxEffort")
                                            ? money::fromDouble(def.parameters->get("seuilTauxEffort").convert<double>()).value_or(kSeuilTauxEffortParDefaut)
                                            : kSeuilTauxEffortParDefaut);
        out.set("seuilTauxEffortApplique", percentJson(seuil));
        if (!ressources) continue;
        auto taux = tauxEffort(*loyer, *charges, *ressources, aide);
        if (!taux) {
            out.set("mentionTauxEffort", std::string("Taux d’effort non calculable : ressources mensuelles nulles."));
            continue;
        }
        out.set("tauxEffort", percentJson(*taux));
        if (depasseSeuil(*taux, seuil))
            out.set("mentionTauxEffort", "Le taux d’effort (" + percentText(*taux) + ") dépasse le seuil de " + percentText(seuil) +
                                             " fixé par le partenariat.");
    }
    return errors;
}

// -- planApurement
std::vector<FieldError> derivePlanApurement(const FormDef& def, Object::Ptr& data) {
    std::vector<FieldError> errors;
    const int maxEcheances = static_cast<int>(parameterInt(def, "maxEcheancesApurement", kMaxEcheancesApurement));
    for (const auto& s : sites(def, "planApurement")) {
        Object::Ptr o = objectAt(data, s.path);
        if (!o) continue;
        auto dette = amountOf(o, "montantDette");
        auto premiere = dateOf(o, "premiereEcheance");
        if (!dette) continue; // a required field: already reported by validation when missing
        if (!premiere) {
            errors.push_back({pointer(s, "premiereEcheance"), "apurement_premiere_echeance_manquante",
                              "Indiquer la date de la première échéance du plan d'apurement."});
            continue;
        }
        bool parMensualite = present(o, "mensualite"), parNombre = present(o, "nombreEcheances");
        if (parMensualite && parNombre) {
            errors.push_back({pointer(s, "nombreEcheances"), "apurement_mode_ambigu",
                              "Indiquer soit la mensualité, soit le nombre d'échéances, mais pas les deux."});
            continue;
        }
        if (!parMensualite && !parNombre) {
            errors.push_back({pointer(s, "mensualite"), "apurement_mode_manquant",
                              "Indiquer la mensualité du plan d'apurement (ou le nombre d'échéances)."});
            continue;
        }
        PlanApurement plan;
        if (parMensualite) {
            plan = planApurementParMensualite(*dette, amountOf(o, "mensualite").value_or(0), *premiere, maxEcheances);
        } else {
            long long n = integerOf(o, "nombreEcheances").value_or(0);
            plan = planApurementParNombre(*dette, n > 100000 ? 100000 : n < -1 ? -1 : static_cast<int>(n), *premiere, maxEcheances);
        }
        if (!plan.ok()) {
            errors.push_back({pointer(s, plan.error->field), plan.error->rule, plan.error->message});
            continue;
        }
        Output out(s, o, "planApurement");
        Array::Ptr rows = new Array;
        Cents total = 0;
        for (std::size_t i = 0; i < plan.echeances.size(); ++i) {
            const Echeance& e = plan.echeances[i];
            Object::Ptr row = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            row->set("numero", static_cast<int>(i + 1));
            row->set("date", e.date.iso());
            row->set("montant", centsToJson(e.montant));
            row->set("restantDu", centsToJson(e.restantDu));
            rows->add(row);
            total += e.montant;
        }
        out.set("echeancier", rows);
        out.set("nombreEcheancesPlan", static_cast<int>(plan.echeances.size()));
        out.set("derniereEcheance", plan.echeances.back().date.iso());
        out.set("totalEcheancier", centsToJson(total));
    }
    return errors;
}

// -- periodesSousLocation
std::vector<FieldError> derivePeriodesSousLocation(const FormDef& def, Object::Ptr& data) {
    const int duree = static_cast<int>(parameterInt(def, "dureeSousLocationMois", 6));
    for (const auto& s : sites(def, "periodesSousLocation")) {
        Object::Ptr o = objectAt(data, s.path);
        if (!o) continue;
        auto debut = dateOf(o, "dateDebut");
        if (!debut) continue;
        auto p = periodesSousLocation(*debut, duree);
        Output out(s, o, "periodesSousLocation");
        out.set("finPremierePeriode", p.finPremierePeriode.iso());
        out.set("debutRenouvellement", p.debutRenouvellement.iso());
        out.set("finRenouvellement", p.finRenouvellement.iso());
    }
    return {};
}

// -- finDePeriode
std::vector<FieldError> deriveFinDePeriode(const FormDef& def, Object::Ptr& data) {
    for (const auto& s : sites(def, "finDePeriode")) {
        Object::Ptr o = objectAt(data, s.path);
        if (!o) continue;
        auto debut = dateOf(o, "dateDebut");
        auto duree = integerOf(o, "dureeMois");
        if (!debut || !duree || *duree < 1 || *duree > 1200) continue; // bounds come from the form
        Output(s, o, "finDePeriode").set("dateFin", finDePeriode(*debut, static_cast<int>(*duree)).iso());
    }
    return {};
}

// -- revisionContrat
std::vector<FieldError> deriveRevisionContrat(const FormDef& def, Object::Ptr& data) {
    std::vector<FieldError> errors;
    for (const auto& s : sites(def, "revisionContrat")) {
        Object::Ptr o = objectAt(data, s.path);
        if (!o) continue;
        auto version = integerOf(o, "version");
        auto dateVersion = dateOf(o, "dateVersion");
        auto remplace = dateOf(o, "remplaceVersionDu");
        if (!version) continue;
        if (*version > 1 && !remplace) {
            errors.push_back({pointer(s, "remplaceVersionDu"), "revision_date_manquante",
                              "La version " + std::to_string(*version) +
                                  " est une révision : indiquer la date de la version qu'elle remplace."});
            continue;
        }
        if (*version == 1 && remplace) {
            errors.push_back({pointer(s, "remplaceVersionDu"), "revision_version_initiale",
                              "La version 1 est la version initiale et ne remplace aucune version : retirer cette date ou "
                              "indiquer un numéro de version supérieur à 1."});
            continue;
        }
        if (remplace && dateVersion && !(*remplace < *dateVersion)) {
            errors.push_back({pointer(s, "remplaceVersionDu"), "revision_date_incoherente",
                              "La version remplacée (du " + remplace->french() + ") doit être antérieure à la présente version (du " +
                                  dateVersion->french() + ")."});
            continue;
        }
        std::string mention = "Version " + std::to_string(*version);
        if (dateVersion) mention += " du " + dateVersion->french();
        mention += remplace ? ", qui remplace la version du " + remplace->french() : " (version initiale)";
        Output(s, o, "revisionContrat").set("mentionVersion", mention);
    }
    return errors;
}

// -- evaluationSuivi
std::vector<FieldError> deriveEvaluationSuivi(const FormDef& def, Object::Ptr& data) {
    std::vector<FieldError> errors;
    for (const auto& s : sites(def, "evaluationSuivi")) {
        Object::Ptr o = objectAt(data, s.path);
        if (!o || !present(o, "type")) continue;
        std::string type = o->get("type").toString();
        auto date = dateOf(o, "date");
        auto precedente = dateOf(o, "datePrecedente");
        if (type != "initiale" && !precedente) {
            errors.push_back({pointer(s, "datePrecedente"), "evaluation_precedente_manquante",
                              "Une évaluation de suivi doit indiquer la date de l'évaluation précédente."});
            continue;
        }
        if (type == "initiale" && precedente) {
            errors.push_back({pointer(s, "datePrecedente"), "evaluation_initiale_avec_precedente",
                              "Une évaluation initiale n'a pas d'évaluation précédente : retirer cette date ou choisir une évaluation de suivi."});
            continue;
        }
        if (precedente && date && !(*precedente < *date)) {
            errors.push_back({pointer(s, "datePrecedente"), "evaluation_precedente_posterieure",
                              "L'évaluation précédente (du " + precedente->french() + ") doit être antérieure à celle-ci (du " +
                                  date->french() + ")."});
            continue;
        }
        std::string label = type;
        for (const auto& f : *s.fields)
            if (f.name == "type")
                if (const EnumOption* opt = f.option(type)) label = opt->label;
        std::string mention = label + (date ? " du " + date->french() : "");
        if (precedente) mention += ", qui fait suite à l’évaluation du " + precedente->french();
        Output(s, o, "evaluationSuivi").set("mentionEvaluation", mention);
    }
    return errors;
}

// -- referentielUnique
std::vector<FieldError> deriveReferentielUnique(const FormDef& def, Object::Ptr& data) {
    std::vector<FieldError> errors;
    Poco::JSON::Array::Ptr names = def.parameters ? def.parameters->getArray("referentiels") : nullptr;
    if (!names || names->size() == 0) return errors;
    std::vector<std::string> filled;
    std::string labels;
    for (unsigned i = 0; i < names->size(); ++i) {
        std::string n = names->getElement<std::string>(i);
        const FieldDef* f = def.field(n);
        labels += std::string(labels.empty() ? "" : " ou ") + "« " + (f ? f->label : n) + " »";
        if (data->has(n) && data->get(n).type() == typeid(Object::Ptr) && data->getObject(n)->size() > 0) filled.push_back(n);
    }
    if (filled.empty())
        errors.push_back({"/" + names->getElement<std::string>(0), "referentiel_manquant",
                          "Renseigner les indicateurs d'un référentiel d'évaluation : " + labels + "."});
    else if (filled.size() > 1)
        errors.push_back({"/" + filled[1], "referentiels_multiples",
                          "Une grille suit un seul référentiel : renseigner " + labels + ", pas les deux."});
    return errors;
}

} // namespace

void addBuiltinDerivations(DerivationRegistry& registry) {
    registry.add("tauxEffort", deriveTauxEffort);
    registry.add("planApurement", derivePlanApurement);
    registry.add("periodesSousLocation", derivePeriodesSousLocation);
    registry.add("finDePeriode", deriveFinDePeriode);
    registry.add("revisionContrat", deriveRevisionContrat);
    registry.add("evaluationSuivi", deriveEvaluationSuivi);
    registry.add("referentielUnique", deriveReferentielUnique);
}

} // namespace passerelle::forms
