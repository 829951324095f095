#pragma once
// SigningPlan: who signs a document, derived from the document itself and the
// form's "signing" block (format in docs/forms.md):
//
//   "signing": {
//     "order": ["menage", "association", "bailleur"],
//     "signatories": [   // in the order of the template's signature boxes
//       {"party": "menage", "forEach": "menage.signataires", "name": "{prenom} {nom}",
//        "capacity": "Membre du ménage", "when": {"field": "qualite", "in": ["titulaire"]}},
//       {"party": "association", "name": "{association.representant}",
//        "capacity": "{association.qualiteRepresentant}, {association.nom}"},
//       {"party": "bailleur", "name": "…", "capacity": "…", "box": false}
//     ]}
//
// "{path}" placeholders read the row of `forEach` (else the document); a
// signatory with "box": false has no signature box in the template (its
// signature appears on the certificate page only). Pure; thread-safe.
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "forms/FormDef.h"

namespace passerelle::sign {

inline constexpr const char* PARTY_MENAGE = "menage";
inline constexpr const char* PARTY_ASSOCIATION = "association";
inline constexpr const char* PARTY_BAILLEUR = "bailleur";

struct PlannedSignatory {
    int position = 0;  // signing order, 0-based (party order, then box order)
    std::string party; // menage | association | bailleur
    std::string name;
    std::string capacity;
    int box = -1;      // index of the template's signature box, -1: none
};

bool isSignable(const forms::FormDef& form);
// FailedPrecondition "not_signable" for a form without a signing block;
// InvalidArgument when the document names nobody to sign.
Result<std::vector<PlannedSignatory>> planSignatories(const forms::FormDef& form, const Poco::JSON::Object::Ptr& data);

} // namespace passerelle::sign
