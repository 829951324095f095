// Defaults of the Store's later, non-pure virtual functions: an
// implementation that does not provide them answers Internal
// "not_supported". PocoStore overrides all of them.
#include "storage/Store.h"

namespace passerelle::storage {

namespace {
Status unsupported() {
    return Status::internal("not_supported", "Opération non prise en charge par ce stockage.");
}
} // namespace

Result<User> Store::createUser(const User&, const AuditEvent&) { return unsupported(); }
Result<User> Store::findUser(const std::string&) { return unsupported(); }
Result<User> Store::findUserByEmail(const std::string&) { return unsupported(); }
Result<std::vector<User>> Store::listUsers(const std::string&) { return unsupported(); }
Result<User> Store::updateUser(const User&, const AuditEvent&) { return unsupported(); }
Status Store::createWebSession(const WebSession&) { return unsupported(); }
Result<WebSession> Store::findWebSession(const std::string&) { return unsupported(); }
Status Store::touchWebSession(const std::string&, std::int64_t) { return unsupported(); }
Status Store::deleteWebSession(const std::string&) { return unsupported(); }
Status Store::deleteUserWebSessions(const std::string&) { return unsupported(); }
Result<LoginThrottle> Store::findLoginThrottle(const std::string&) { return unsupported(); }
Status Store::saveLoginThrottle(const LoginThrottle&) { return unsupported(); }
Status Store::clearLoginThrottle(const std::string&) { return unsupported(); }
Result<Page<Dossier>> Store::searchDossiers(const DossierSearch&) { return unsupported(); }
Result<ReceivedPage> Store::searchReceived(const ReceivedQuery&) { return unsupported(); }
Status Store::setDossierReferent(const std::string&, const std::string&) { return unsupported(); }
Result<std::string> Store::dossierReferent(const std::string&) { return unsupported(); }

} // namespace passerelle::storage
