#pragma once
// Caller: the organisation behind an authenticated request (or an admin
// command), as the use cases see it. A plain value; no behaviour.
#include <string>

namespace passerelle::service {

struct Caller {
    std::string organisationId;
    std::string organisationName;
    std::string kind;    // association | bailleur | financeur | siao (storage::KIND_*)
    std::string keyId;   // the API key used; empty for the CLI
    std::string keyName; // the person named on the key, may be empty
    std::string userId;   // the signed-in person (web session); empty for an API key or the CLI
    std::string userName; // their name as shown on pages ("Prénom Nom")
    std::string role;     // their role in the organisation: admin | membre; empty for an API key
};

} // namespace passerelle::service
