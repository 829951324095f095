#include "forms/FunderModels.h"

#include <algorithm>
#include <set>

#include <Poco/JSON/Array.h>

namespace passerelle::forms::funder {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

Var get(const Object::Ptr& o, const char* key) { return o && o->has(key) ? o->get(key) : Var(); }

Object::Ptr object(const Object::Ptr& o, const char* key) {
    Var v = get(o, key);
    return v.type() == typeid(Object::Ptr) ? v.extract<Object::Ptr>() : nullptr;
}

Array::Ptr array(const Object::Ptr& o, const char* key) {
    Var v = get(o, key);
    return v.type() == typeid(Array::Ptr) ? v.extract<Array::Ptr>() : nullptr;
}

std::vector<Object::Ptr> rows(const Object::Ptr& o, const char* key) {
    std::vector<Object::Ptr> out;
    if (auto a = array(o, key))
        for (unsigned i = 0; i < a->size(); ++i)
            if (a->get(i).type() == typeid(Object::Ptr)) out.push_back(a->get(i).extract<Object::Ptr>());
    return out;
}

std::string str(const Object::Ptr& o, const char* key) {
    Var v = get(o, key);
    return v.isEmpty() ? std::string() : v.toString();
}

std::optional<long long> integer(const Object::Ptr& o, const char* key) {
    Var v = get(o, key);
    if (v.isEmpty() || !v.isInteger()) return std::nullopt;
    return v.convert<long long>();
}

std::optional<Cents> amount(const Object::Ptr& o, const char* key) {
    Var v = get(o, key);
    if (v.isEmpty()) return std::nullopt;
    if (v.isString()) {
        if (v.extract<std::string>().find_first_not_of(" \t") == std::string::npos) return std::nullopt;
        return money::parse(v.extract<std::string>());
    }
    if (v.isNumeric()) return money::fromDouble(v.convert<double>());
    return std::nullopt;
}

std::vector<Porteur> porteurs(const Object::Ptr& action) {
    std::vector<Porteur> out;
    for (const auto& r : rows(action, "porteurs")) out.push_back({str(r, "nom"), str(r, "role")});
    return out;
}

// Refuses products that would overflow int64 (validation caps amounts at 10^13 €, quantities at 10^6).
constexpr Cents kMaxTotal = 1000000000000000LL; // 10^13 € in cents

} // namespace

long long shareHundredths(long long part, long long total) {
    if (total == 0) return 0;
    __int128 num = static_cast<__int128>(part) * 10000;
    __int128 q = num / total, r = num % total;
    // Round half away from zero.
    if (2 * (r < 0 ? -r : r) >= (total < 0 ? -total : total)) q += ((num < 0) != (total < 0)) ? -1 : 1;
    return static_cast<long long>(q);
}

// ---- Budget ---------------------------------------------------------------------------------------------

std::vector<int> Budget::years() const {
    std::vector<int> out;
    for (int y = anneeDebut; y <= anneeFin; ++y) out.push_back(y);
    return out;
}

std::string Budget::periodLabel() const {
    return multiYear() ? std::to_string(anneeDebut) + " \xE2\x80\x93 " + std::to_string(anneeFin) : std::to_string(anneeDebut);
}

Cents Budget::totalCharges(std::optional<int> year) const {
    Cents sum = 0;
    for (const auto& c : charges) if (!year || c.annee == *year) sum += c.total;
    return sum;
}

Cents Budget::totalProduits(std::optional<int> year) const {
    Cents sum = 0;
    for (const auto& p : produits) if (!year || p.annee == *year) sum += p.montant;
    return sum;
}

std::vector<std::string> Budget::funders() const {
    std::vector<std::string> out;
    for (const auto& p : produits)
        if (std::find(out.begin(), out.end(), p.financeur) == out.end()) out.push_back(p.financeur);
    return out;
}

Cents Budget::funderAmount(const std::string& financeur, std::optional<int> year) const {
    Cents sum = 0;
    for (const auto& p : produits) if (p.financeur == financeur && (!year || p.annee == *year)) sum += p.montant;
    return sum;
}

Cents Budget::statusAmount(const std::string& statut, std::optional<int> year) const {
    Cents sum = 0;
    for (const auto& p : produits) if (p.statut == statut && (!year || p.annee == *year)) sum += p.montant;
    return sum;
}

std::vector<FieldError> readBudget(const Object::Ptr& data, Budget& b) {
    std::vector<FieldError> errors;
    auto add = [&](std::string path, const char* rule, std::string message) { errors.push_back({std::move(path), rule, std::move(message)}); };

    b.date = str(data, "date");
    auto action = object(data, "action");
    b.titre = str(action, "titre");
    b.appelAProjets = str(action, "appelAProjets");
    b.territoire = str(action, "territoire");
    b.objet = str(action, "objet");
    b.porteurs = porteurs(action);
    auto periode = object(data, "periode");
    b.anneeDebut = static_cast<int>(integer(periode, "anneeDebut").value_or(0));
    b.anneeFin = static_cast<int>(integer(periode, "anneeFin").value_or(b.anneeDebut));
    if (b.anneeFin < b.anneeDebut) {
        add("/periode/anneeFin", "period_order", "La dernière année doit suivre la première.");
        b.anneeFin = b.anneeDebut;
    } else if (b.anneeFin - b.anneeDebut >= 10) {
        add("/periode/anneeFin", "period_too_long", "Une annexe budgétaire couvre au plus 10 années.");
        b.anneeFin = b.anneeDebut + 9;
    }

    // A row's year: its own, or the only year of the period.
    auto yearOf = [&](const Object::Ptr& r, const std::string& path) {
        auto y = integer(r, "annee");
        if (!y) {
            if (b.multiYear()) add(path + "/annee", "year_required", "Précisez l'année : le budget couvre plusieurs années.");
            return b.anneeDebut;
        }
        if (*y < b.anneeDebut || *y > b.anneeFin)
            add(path + "/annee", "year_outside_period", "Année hors de la période du budget (" + b.periodLabel() + ").");
        return static_cast<int>(*y);
    };

    auto chargeRows = rows(data, "charges");
    for (std::size_t i = 0; i < chargeRows.size(); ++i) {
        const auto& r = chargeRows[i];
        const std::string path = "/charges/" + std::to_string(i);
        ChargeLine c;
        c.libelle = str(r, "libelle");
        c.annee = yearOf(r, path);
        c.coutUnitaire = amount(r, "coutUnitaire");
        c.quantite = integer(r, "quantite");
        c.montant = amount(r, "montant");
        if (c.coutUnitaire.has_value() != c.quantite.has_value()) {
            add(path + (c.coutUnitaire ? "/quantite" : "/coutUnitaire"), "unit_cost_and_quantity",
                "Un coût unitaire va avec une quantité : renseignez les deux.");
        } else if (c.byUnit() && c.montant) {
            add(path + "/montant", "amount_or_unit_cost", "Renseignez soit un coût unitaire et une quantité, soit un montant forfaitaire, pas les deux.");
        } else if (!c.byUnit() && !c.montant) {
            add(path + "/montant", "amount_required", "Renseignez un montant forfaitaire, ou un coût unitaire et une quantité.");
        }
        if (c.byUnit()) {
            // Exact to the cent: integer cents × integer quantity.
            __int128 product = static_cast<__int128>(*c.coutUnitaire) * *c.quantite;
            if (product > kMaxTotal) { add(path + "/quantite", "amount_too_large", "Montant hors limites."); product = 0; }
            c.total = static_cast<Cents>(product);
        } else if (c.montant) {
            c.total = *c.montant;
        }
        b.charges.push_back(std::move(c));
    }

    auto produitRows = rows(data, "produits");
    for (std::size_t i = 0; i < produitRows.size(); ++i) {
        const auto& r = produitRows[i];
        const std::string path = "/produits/" + std::to_string(i);
        ProduitLine p;
        p.financeur = str(r, "financeur");
        p.nature = str(r, "nature");
        p.statut = str(r, "statut");
        p.statutLabel = p.statut == "acquis" ? "Acquis" : "Sollicité";
        p.annee = yearOf(r, path);
        p.montant = amount(r, "montant").value_or(0);
        b.produits.push_back(std::move(p));
    }
    auto demande = object(data, "demande");
    b.demande = amount(demande, "montant").value_or(0);
    b.demandePrecision = str(demande, "precision");
    b.observations = str(data, "observations");
    return errors;
}

// ---- Activite -------------------------------------------------------------------------------------------

long long Activite::totalCible(int c) const {
    long long sum = 0;
    for (const auto& [key, n] : effectifs) if (key.first == c) sum += n;
    return sum;
}

long long Activite::totalTranche(int t) const {
    long long sum = 0;
    for (const auto& [key, n] : effectifs) if (key.second == t) sum += n;
    return sum;
}

long long Activite::total() const {
    long long sum = 0;
    for (const auto& [key, n] : effectifs) sum += n;
    return sum;
}

std::vector<std::string> Activite::origines() const {
    std::vector<std::string> out;
    for (const auto& r : refus) if (std::find(out.begin(), out.end(), r.origine) == out.end()) out.push_back(r.origine);
    return out;
}

long long Activite::totalOrigine(const std::string& origine) const {
    long long sum = 0;
    for (const auto& r : refus) if (r.origine == origine) sum += r.nombre;
    return sum;
}

long long Activite::totalRefus() const {
    long long sum = 0;
    for (const auto& r : refus) sum += r.nombre;
    return sum;
}

long long Activite::totalSuites() const {
    long long sum = 0;
    for (const auto& s : suites) sum += s.nombre;
    return sum;
}

std::vector<FieldError> readActivite(const Object::Ptr& data, Activite& a) {
    std::vector<FieldError> errors;
    auto add = [&](std::string path, const char* rule, std::string message) { errors.push_back({std::move(path), rule, std::move(message)}); };

    a.dateArrete = str(data, "dateArrete");
    auto action = object(data, "action");
    a.titre = str(action, "titre");
    a.territoire = str(action, "territoire");
    a.porteurs = porteurs(action);
    auto orientations = object(data, "orientations");
    a.dossiersOrientes = integer(orientations, "dossiersOrientes");
    a.candidatsAccompagnes = integer(orientations, "candidatsAccompagnes");
    a.enCours = integer(orientations, "enCours");
    a.hommes = integer(orientations, "hommes");
    a.femmes = integer(orientations, "femmes");

    // Labels of targets and age bands are the keys of the AGE/CIBLE table: each once.
    auto labels = [&](const char* table, std::vector<std::string>& out) {
        auto rs = rows(data, table);
        for (std::size_t i = 0; i < rs.size(); ++i) {
            std::string l = str(rs[i], "libelle");
            if (std::find(out.begin(), out.end(), l) != out.end())
                add(std::string("/") + table + "/" + std::to_string(i) + "/libelle", "duplicate", "Libellé déjà utilisé : « " + l + " ».");
            out.push_back(l);
        }
    };
    labels("cibles", a.cibles);
    labels("tranchesAge", a.tranches);

    auto eff = rows(data, "effectifs");
    for (std::size_t i = 0; i < eff.size(); ++i) {
        const std::string path = "/effectifs/" + std::to_string(i);
        std::string cible = str(eff[i], "cible"), tranche = str(eff[i], "trancheAge");
        auto ci = std::find(a.cibles.begin(), a.cibles.end(), cible);
        auto ti = std::find(a.tranches.begin(), a.tranches.end(), tranche);
        if (ci == a.cibles.end()) { add(path + "/cible", "unknown_target", "Cible non déclarée dans « cibles » : « " + cible + " »."); continue; }
        if (ti == a.tranches.end()) { add(path + "/trancheAge", "unknown_age_band", "Tranche d'âge non déclarée dans « tranchesAge » : « " + tranche + " »."); continue; }
        std::pair<int, int> key{static_cast<int>(ci - a.cibles.begin()), static_cast<int>(ti - a.tranches.begin())};
        if (a.effectifs.count(key)) { add(path, "duplicate", "Effectif déjà donné pour cette cible et cette tranche d'âge."); continue; }
        a.effectifs[key] = integer(eff[i], "nombre").value_or(0);
    }
    if (auto parcours = object(data, "parcours")) {
        a.hasParcours = true;
        a.acces = integer(parcours, "acces").value_or(0);
        a.maintien = integer(parcours, "maintien").value_or(0);
    }
    for (const auto& r : rows(data, "suites")) a.suites.push_back({str(r, "libelle"), integer(r, "nombre").value_or(0)});
    for (const auto& r : rows(data, "refus")) a.refus.push_back({str(r, "origine"), str(r, "motif"), integer(r, "nombre").value_or(0)});
    for (const auto& r : rows(data, "autresIndicateurs"))
        a.autres.push_back({str(r, "libelle"), integer(r, "valeur").value_or(0), str(r, "commentaire")});
    a.observations = str(data, "observations");
    return errors;
}

} // namespace passerelle::forms::funder
