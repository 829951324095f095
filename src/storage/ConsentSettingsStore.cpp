// PocoStore: a partnership's setting for consents recorded in person, and the
// contact of an organisation (issue 11 items 6 and 11, migration 14).
#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using namespace Poco::Data::Keywords;
using sql::Binds;
using sql::nowIso;

Status PocoStore::setInPersonConsentAllowed(const std::string& associationId, const std::string& bailleurId, bool allowed,
                                            const AuditEvent& audit) {
    return writeTransaction("setInPersonConsentAllowed", [&](Session& s) -> Status {
        sql::writePartnershipFlag(s, "in_person_consent_settings", associationId, bailleurId, allowed);
        appendAuditInTransaction(s, audit);
        return Status::ok();
    });
}

Result<bool> PocoStore::inPersonConsentAllowed(const std::string& associationId, const std::string& bailleurId) {
    bool out = false;
    Status st = readSession("inPersonConsentAllowed", [&](Session& s) -> Status {
        out = sql::readPartnershipFlag(s, "in_person_consent_settings", associationId, bailleurId);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Status PocoStore::setOrganisationContact(const std::string& organisationId, const OrganisationContact& contact,
                                         const AuditEvent& audit) {
    return writeTransaction("setOrganisationContact", [&](Session& s) -> Status {
        {
            Binds b;
            b.exec(s, "DELETE FROM organisation_contacts WHERE organisation_id = " + b.str(organisationId));
        }
        Binds b;
        b.exec(s, "INSERT INTO organisation_contacts (organisation_id, adresse, telephone, email, updated_at) VALUES (" +
                      b.str(organisationId) + ", " + b.str(contact.adresse) + ", " + b.str(contact.telephone) + ", " +
                      b.str(contact.email) + ", " + b.str(nowIso()) + ")");
        appendAuditInTransaction(s, audit);
        return Status::ok();
    });
}

Result<OrganisationContact> PocoStore::organisationContact(const std::string& organisationId) {
    OrganisationContact out;
    Status st = readSession("organisationContact", [&](Session& s) -> Status {
        std::vector<Poco::Tuple<std::string, std::string, std::string>> rows;
        Binds b;
        b.exec(s, "SELECT adresse, telephone, email FROM organisation_contacts WHERE organisation_id = " +
                      b.str(organisationId),
               into(rows));
        if (!rows.empty()) out = {rows.front().get<0>(), rows.front().get<1>(), rows.front().get<2>()};
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

} // namespace passerelle::storage
