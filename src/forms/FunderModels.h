#pragma once
// Typed views of the funders' forms (budget-annexe, activite), read from
// validated data. One arithmetic for every output: the derivations that fill
// the computed fields shown in the PDF and the XLSX writers that cache the
// values of their formulas both use these models. Amounts are int64 cents;
// shares are integer hundredths of a percent, rounded half away from zero.
// Pure; values are plain copies (safe to share once built).
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Money.h"
#include "common/Status.h"

namespace passerelle::forms::funder {

using money::Cents;

struct Porteur {
    std::string nom, role;
};

// ---- budget-annexe ---------------------------------------------------------------------------------

struct ChargeLine {
    std::string libelle;
    int annee = 0;                        // resolved: the row's year, or the only year of the period
    std::optional<Cents> coutUnitaire;    // with quantite: total = coutUnitaire × quantite
    std::optional<long long> quantite;
    std::optional<Cents> montant;         // flat amount
    Cents total = 0;
    bool byUnit() const { return coutUnitaire && quantite; }
};

struct ProduitLine {
    std::string financeur, nature;
    std::string statut;      // "sollicite" | "acquis"
    std::string statutLabel; // "Sollicité" | "Acquis"
    int annee = 0;
    Cents montant = 0;
};

struct Budget {
    std::string date; // ISO
    std::string titre, appelAProjets, territoire, objet;
    std::vector<Porteur> porteurs;
    int anneeDebut = 0, anneeFin = 0;
    std::vector<ChargeLine> charges;
    std::vector<ProduitLine> produits;
    Cents demande = 0;
    std::string demandePrecision;
    std::string observations;

    std::vector<int> years() const;
    bool multiYear() const { return anneeFin > anneeDebut; }
    std::string periodLabel() const; // "2015" or "2015 – 2017"
    Cents totalCharges(std::optional<int> year = std::nullopt) const;
    Cents totalProduits(std::optional<int> year = std::nullopt) const;
    // Distinct funders, in order of first appearance (names compared exactly).
    std::vector<std::string> funders() const;
    Cents funderAmount(const std::string& financeur, std::optional<int> year = std::nullopt) const;
    Cents statusAmount(const std::string& statut, std::optional<int> year = std::nullopt) const;
};

// Reads a validated budget-annexe document. Checks what field-level validation
// cannot: a charge line has either coutUnitaire + quantite or montant; years lie in
// the period; a row names its year when the period has several. Errors carry
// JSON pointer paths.
std::vector<FieldError> readBudget(const Poco::JSON::Object::Ptr& data, Budget& out);

// ---- activite -----------------------------------------------------------------------------------------

struct Activite {
    std::string dateArrete; // ISO
    std::string titre, territoire;
    std::vector<Porteur> porteurs;
    std::optional<long long> dossiersOrientes, candidatsAccompagnes, enCours, hommes, femmes;
    std::vector<std::string> cibles, tranches;
    std::map<std::pair<int, int>, long long> effectifs; // (cible index, tranche index) -> ménages
    bool hasParcours = false;
    long long acces = 0, maintien = 0;
    struct Suite { std::string libelle; long long nombre = 0; };
    struct Refus { std::string origine, motif; long long nombre = 0; };
    struct Indicateur { std::string libelle; long long valeur = 0; std::string commentaire; };
    std::vector<Suite> suites;
    std::vector<Refus> refus;
    std::vector<Indicateur> autres;
    std::string observations;

    long long totalCible(int c) const;
    long long totalTranche(int t) const;
    long long total() const;
    std::vector<std::string> origines() const; // distinct refusal origins, first appearance order
    long long totalOrigine(const std::string& origine) const;
    long long totalRefus() const;
    long long totalSuites() const;
};

std::vector<FieldError> readActivite(const Poco::JSON::Object::Ptr& data, Activite& out);

// Share of `part` in `total` in hundredths of a percent (2500 = 25 %); 0 when total is 0.
long long shareHundredths(long long part, long long total);

} // namespace passerelle::forms::funder
