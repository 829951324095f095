#pragma once
// Derivations of the funders' forms: "budget-annexe" (line totals, totals and
// balance per year and for the period, co-financing shares) and "activite"
// (totals by target group and age band, accès / maintien shares, refusals by
// origin). They fill the `computed` fields that the PDF templates show; the
// XLSX writers compute the same figures from the same models (FunderModels.h).
#include "forms/Validator.h"

namespace passerelle::forms {

void addFunderDerivations(DerivationRegistry& registry);

} // namespace passerelle::forms
