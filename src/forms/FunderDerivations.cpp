#include "forms/FunderDerivations.h"

#include <cstdlib>
#include <optional>

#include <Poco/JSON/Array.h>

#include "forms/FunderModels.h"

namespace passerelle::forms {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// Computed amounts are stored as exact decimal strings ("15000.00"), never doubles.
std::string amountJson(money::Cents c) {
    std::string sign = c < 0 ? "-" : "";
    unsigned long long a = static_cast<unsigned long long>(c < 0 ? -c : c);
    std::string cents = std::to_string(a % 100);
    if (cents.size() < 2) cents = "0" + cents;
    return sign + std::to_string(a / 100) + "." + cents;
}

Object::Ptr row() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string balanceText(money::Cents charges, money::Cents produits) {
    if (charges == produits) return "Équilibré";
    return "Déséquilibré : charges ≠ produits (écart " + money::format(charges - produits) + ")";
}

std::vector<FieldError> deriveBudget(const FormDef&, Object::Ptr& data) {
    funder::Budget b;
    auto errors = funder::readBudget(data, b);
    if (!errors.empty()) return errors;

    // Pass 1: each charge line's amount (unit cost × quantity, exact to the cent).
    if (auto charges = data->getArray("charges")) {
        for (unsigned i = 0; i < charges->size() && i < b.charges.size(); ++i)
            charges->getObject(i)->set("total", amountJson(b.charges[i].total));
    }
    // Pass 2: totals and balance per year, then for the whole period.
    Array::Ptr totaux = new Array;
    auto addTotal = [&](const std::string& label, std::optional<int> year) {
        auto r = row();
        money::Cents c = b.totalCharges(year), p = b.totalProduits(year);
        r->set("periode", label);
        r->set("totalCharges", amountJson(c));
        r->set("totalProduits", amountJson(p));
        r->set("ecart", amountJson(c - p));
        r->set("controle", balanceText(c, p));
        totaux->add(r);
    };
    for (int y : b.years()) addTotal(std::to_string(y), y);
    if (b.multiYear()) addTotal("Période " + b.periodLabel(), std::nullopt);
    data->set("totaux", totaux);
    // Pass 3: co-financing shares per funder, per year and for the period.
    Array::Ptr parts = new Array;
    auto addShares = [&](const std::string& label, std::optional<int> year) {
        money::Cents total = b.totalProduits(year);
        for (const auto& f : b.funders()) {
            money::Cents m = b.funderAmount(f, year);
            if (m == 0 && year) continue;
            auto r = row();
            r->set("financeur", f);
            r->set("periode", label);
            r->set("montant", amountJson(m));
            r->set("part", static_cast<double>(funder::shareHundredths(m, total)) / 100.0);
            parts->add(r);
        }
    };
    for (int y : b.years()) addShares(std::to_string(y), y);
    if (b.multiYear()) addShares("Période " + b.periodLabel(), std::nullopt);
    data->set("parts", parts);
    return {};
}

std::vector<FieldError> deriveActivite(const FormDef&, Object::Ptr& data) {
    funder::Activite a;
    auto errors = funder::readActivite(data, a);
    if (!errors.empty()) return errors;
    Array::Ptr cibles = new Array, tranches = new Array, parcours = new Array, refus = new Array;
    for (std::size_t c = 0; c < a.cibles.size(); ++c) {
        auto r = row();
        r->set("cible", a.cibles[c]);
        r->set("total", a.totalCible(static_cast<int>(c)));
        cibles->add(r);
    }
    for (std::size_t t = 0; t < a.tranches.size(); ++t) {
        auto r = row();
        r->set("trancheAge", a.tranches[t]);
        r->set("total", a.totalTranche(static_cast<int>(t)));
        tranches->add(r);
    }
    // The AGE/CIBLE table cell by cell (seed 000): every target × every age band (blank where no
    // figure was given, as in the seed), the total of each target, then the row of totals by band.
    Array::Ptr tableau = new Array;
    auto cell = [&](std::size_t r, const std::string& rowLabel, std::size_t c, const std::string& colLabel, std::optional<long long> n,
                    bool total) {
        auto o = row();
        o->set("ligne", static_cast<int>(r));
        o->set("libelleLigne", rowLabel);
        o->set("colonne", static_cast<int>(c));
        o->set("libelleColonne", colLabel);
        if (n) o->set("nombre", *n);
        o->set("total", total);
        tableau->add(o);
    };
    const std::string kTotal = "Total général";
    const std::size_t nC = a.cibles.size(), nT = a.tranches.size();
    for (std::size_t c = 0; c < nC; ++c) {
        for (std::size_t t = 0; t < nT; ++t) {
            auto it = a.effectifs.find({static_cast<int>(c), static_cast<int>(t)});
            cell(c, a.cibles[c], t, a.tranches[t], it == a.effectifs.end() ? std::nullopt : std::optional<long long>(it->second), false);
        }
        cell(c, a.cibles[c], nT, kTotal, a.totalCible(static_cast<int>(c)), true);
    }
    for (std::size_t t = 0; t < nT; ++t) cell(nC, kTotal, t, a.tranches[t], a.totalTranche(static_cast<int>(t)), true);
    cell(nC, kTotal, nT, kTotal, a.total(), true);
    data->set("tableauAgeCible", tableau);
    data->set("totauxCibles", cibles);
    data->set("totauxTranches", tranches);
    data->set("totalMenages", a.total());
    if (a.hasParcours) {
        long long total = a.acces + a.maintien;
        for (auto [label, n] : {std::pair<const char*, long long>{"Accès", a.acces}, {"Maintien", a.maintien}}) {
            auto r = row();
            r->set("parcours", std::string(label));
            r->set("nombre", n);
            r->set("part", static_cast<double>(funder::shareHundredths(n, total)) / 100.0);
            parcours->add(r);
        }
        data->set("partsParcours", parcours);
    }
    for (const auto& o : a.origines()) {
        auto r = row();
        r->set("origine", o);
        r->set("total", a.totalOrigine(o));
        refus->add(r);
    }
    data->set("totauxRefus", refus);
    return {};
}

} // namespace

void addFunderDerivations(DerivationRegistry& registry) {
    registry.add("budget-annexe", deriveBudget);
    registry.add("activite", deriveActivite);
}

} // namespace passerelle::forms
