#pragma once
// Built-in derivations: the computed figures of the shared documents (taux
// d'effort, plan d'apurement, sub-lease periods, contract end date, contract
// revisions, evaluation context). Two layers:
//
//  1. Pure functions on integers and civil dates, unit-tested directly. Amounts
//     are int64 cents, percentages int64 hundredths of a percent (2534 = 25,34 %).
//     No floating point anywhere.
//  2. Named derivations registered in the DerivationRegistry. Each acts on every
//     group of a form that holds a field marked `"computed": "<name>"`, and reads
//     its inputs from sibling fields with conventional names (listed below), so a
//     new form gets a computation by naming its fields, without code. Errors are
//     reported on the JSON pointer of the input field at fault, with a stable rule
//     code and a French message.
//
//   name                  inputs (siblings)                           outputs (computed siblings, each optional)
//   tauxEffort            loyer, charges, ressourcesMensuelles,       loyerResiduel (amount), tauxEffort (percent),
//                         [aideLogement], [seuilTauxEffort]           seuilTauxEffortApplique (percent), mentionTauxEffort (text)
//   planApurement         montantDette, premiereEcheance,             echeancier (table: numero, date, montant, restantDu),
//                         mensualite | nombreEcheances                nombreEcheancesPlan, derniereEcheance, totalEcheancier
//   periodesSousLocation  dateDebut                                   finPremierePeriode, debutRenouvellement, finRenouvellement
//   finDePeriode          dateDebut, dureeMois                        dateFin
//   revisionContrat       version, dateVersion, [remplaceVersionDu]   mentionVersion (text)
//   evaluationSuivi       type, date, [datePrecedente]                mentionEvaluation (text)
//   referentielUnique     (form parameter "referentiels": group names) — exactly one of them must be filled
//
// Form parameters read: "seuilTauxEffort" (percent, default 25), "maxEcheancesApurement"
// (default 36), "dureeSousLocationMois" (default 6), "referentiels".
#include <optional>
#include <string>
#include <vector>

#include "common/Date.h"
#include "common/Money.h"
#include "forms/Validator.h"

namespace passerelle::forms {

// ---- Taux d'effort ------------------------------------------------------------------------------

// Default threshold, in hundredths of a percent. AMLI / Présence Habitat (seed 004):
// « ne pas être au-dessus de 25% chauffage compris ».
constexpr long long kSeuilTauxEffortParDefaut = 2500;

// Taux d'effort in hundredths of a percent:
//     (loyer + charges − aideLogement) × 10 000 / ressources, rounded half up (to the nearest
//     hundredth of a percent; exactly half a hundredth goes up).
// Charges include heating. `ressources` are the household's monthly resources excluding the
// housing benefit, which is deducted from the cost instead.
// Returns nothing when ressources <= 0, when an input is negative or when the aid exceeds the
// cost (the ratio would be meaningless). Exact for every amount the forms accept (int128 inside).
std::optional<long long> tauxEffort(money::Cents loyer, money::Cents charges, money::Cents ressources,
                                    money::Cents aideLogement = 0);

// Whether a taux d'effort (as displayed, i.e. already rounded) is above the threshold.
// Strictly above: 25,00 % with a 25 % threshold is not flagged, 25,01 % is. Deciding on the
// displayed figure keeps the document self-consistent (never "25,00 % — au-dessus de 25 %").
inline bool depasseSeuil(long long tauxCentiemes, long long seuilCentiemes) { return tauxCentiemes > seuilCentiemes; }

// ---- Plan d'apurement ---------------------------------------------------------------------------

// Default maximum number of instalments (three years of monthly payments).
constexpr int kMaxEcheancesApurement = 36;

struct Echeance {
    Date date;
    money::Cents montant = 0;
    money::Cents restantDu = 0; // balance after this instalment; 0 after the last one
};

struct PlanError {
    std::string field;   // input at fault: "montantDette", "mensualite", "nombreEcheances"
    std::string rule;    // stable code, e.g. "apurement_mensualite_superieure_dette"
    std::string message; // French
};

struct PlanApurement {
    std::vector<Echeance> echeances;
    std::optional<PlanError> error;
    bool ok() const { return !error; }
};

// Instalment i (0-based) falls due on `premiere` + i months, counted from the first due date
// (not chained), clamped to the month's end: 31/01, 28/02 (29/02), 31/03, 30/04...
//
// By monthly amount: n = ceil(dette / mensualite) instalments of `mensualite`; the last one
// is what remains (dette − (n − 1) × mensualite, between 0,01 € and `mensualite`).
// Rejected: dette <= 0 (apurement_dette_non_positive), mensualite <= 0
// (apurement_mensualite_non_positive), mensualite > dette (apurement_mensualite_superieure_dette),
// n > maxEcheances (apurement_trop_d_echeances).
PlanApurement planApurementParMensualite(money::Cents dette, money::Cents mensualite, Date premiere,
                                         int maxEcheances = kMaxEcheancesApurement);

// By number of instalments: n − 1 instalments of floor(dette / n) and a last one that absorbs
// the remainder (at most n − 1 cents more). Rejected: dette <= 0, n <= 0
// (apurement_nombre_non_positif), n > maxEcheances (apurement_trop_d_echeances), dette < n cents
// (apurement_echeance_nulle: an instalment would be 0,00 €).
PlanApurement planApurementParNombre(money::Cents dette, int nombreEcheances, Date premiere,
                                     int maxEcheances = kMaxEcheancesApurement);

// ---- Periods ------------------------------------------------------------------------------------

// The same day `months` later ("de quantième à quantième"); when that day does not exist in the
// target month (31/08 + 6 months), the first day of the following month (01/03).
Date anniversaire(Date debut, int months);

// Last day of a period of `months` months starting on `debut`, both days included:
// anniversaire(debut, months) − 1 day. 01/03/2026 + 6 → 31/08/2026; 31/08/2026 + 6 → 28/02/2027;
// 31/08/2027 + 6 → 29/02/2028; 15/01/2026 + 6 → 14/07/2026.
Date finDePeriode(Date debut, int months);

// Sub-lease of `dureeMois` months renewable once (AMLI, seed 004: « une sous-location AMLI d'une
// durée de 6 mois renouvelable une fois »). The renewal starts the day after the first period
// and ends finDePeriode(debut, 2 × dureeMois), so both periods together last exactly
// 2 × dureeMois months whatever the month lengths.
struct PeriodesSousLocation {
    Date debut, finPremierePeriode, debutRenouvellement, finRenouvellement;
};
PeriodesSousLocation periodesSousLocation(Date debut, int dureeMois = 6);

// ---- Registration -------------------------------------------------------------------------------

// Registers the derivations listed above. Called once by DerivationRegistry::instance().
void addBuiltinDerivations(DerivationRegistry& registry);

// "1234.56": the JSON form of an amount (what amount fields hold).
std::string centsToJson(money::Cents cents);

} // namespace passerelle::forms
