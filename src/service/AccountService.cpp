#include "service/AccountService.h"

#include <argon2.h>

#include <algorithm>
#include <chrono>

#include <Poco/RandomStream.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>

#include "common/Text.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

using storage::User;

namespace {

// OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane.
constexpr std::uint32_t ARGON2_T_COST = 2;
constexpr std::uint32_t ARGON2_M_COST_KIB = 19 * 1024;
constexpr std::uint32_t ARGON2_LANES = 1;
constexpr std::size_t ARGON2_SALT_BYTES = 16;
constexpr std::size_t ARGON2_HASH_BYTES = 32;
constexpr std::size_t MAX_PASSWORD_BYTES = 1024;

std::string randomBytes(std::size_t n) {
    Poco::RandomInputStream rnd;
    std::string out(n, '\0');
    rnd.read(out.data(), static_cast<std::streamsize>(n));
    return out;
}

std::string randomHex(std::size_t bytes) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : randomBytes(bytes)) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
    return out;
}

// "k7m2-x9pq-4rtw-h3nc": 16 characters from an alphabet without look-alikes (80 bits).
std::string oneTimePassword() {
    static const std::string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
    std::string out;
    std::string raw = randomBytes(16);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (i && i % 4 == 0) out.push_back('-');
        out.push_back(alphabet[static_cast<unsigned char>(raw[i]) % alphabet.size()]);
    }
    return out;
}

const Status& signInFailed() {
    static const Status s = Status::unauthenticated("signin_failed", "Adresse électronique ou mot de passe incorrect.");
    return s;
}

Status sessionExpired() {
    return Status::unauthenticated("session_expired", "Votre session a expiré : connectez-vous à nouveau.");
}

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "\"";
}

storage::AuditEvent auditOf(const std::string& event, const std::string& actor, const std::string& subject,
                            const std::string& details = "{}") {
    return storage::AuditEvent{event, actor.empty() ? "system" : actor, subject, details};
}

Caller callerOf(const User& u, const storage::Organisation& o) {
    Caller c;
    c.organisationId = o.id;
    c.organisationName = o.name;
    c.kind = o.kind;
    c.userId = u.id;
    c.userName = u.name;
    c.role = u.role;
    return c;
}

bool looksLikeEmail(const std::string& e) {
    auto at = e.find('@');
    return e.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < e.size() && e.find('@', at + 1) == std::string::npos &&
           e.find(' ') == std::string::npos && e.find('.', at) != std::string::npos && text::isValidUtf8(e);
}

} // namespace

AccountService::AccountService(std::shared_ptr<storage::Store> store, AccountSettings settings)
    : _store(std::move(store)), _settings(std::move(settings)) {}

std::int64_t AccountService::now() const {
    if (_settings.clock) return _settings.clock();
    return Poco::Timestamp().epochMicroseconds() / 1000;
}

std::string AccountService::normaliseEmail(const std::string& email) { return Poco::toLower(Poco::trim(email)); }

std::string AccountService::hashPassword(const std::string& password) {
    const std::string salt = randomBytes(ARGON2_SALT_BYTES);
    std::size_t len = argon2_encodedlen(ARGON2_T_COST, ARGON2_M_COST_KIB, ARGON2_LANES, ARGON2_SALT_BYTES,
                                        ARGON2_HASH_BYTES, Argon2_id);
    std::string encoded(len, '\0');
    int rc = argon2id_hash_encoded(ARGON2_T_COST, ARGON2_M_COST_KIB, ARGON2_LANES, password.data(), password.size(),
                                   salt.data(), salt.size(), ARGON2_HASH_BYTES, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) return {};
    encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
    return encoded;
}

bool AccountService::verifyPassword(const std::string& encodedHash, const std::string& password) {
    if (encodedHash.empty() || password.size() > MAX_PASSWORD_BYTES) return false;
    return argon2id_verify(encodedHash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

Status AccountService::checkPasswordRules(const std::string& password) const {
    if (!text::isValidUtf8(password))
        return Status::invalidArgument("password_invalid", "Le mot de passe contient des caractères invalides.");
    if (text::length(password) < _settings.minPasswordChars)
        return Status::invalidArgument("password_too_short", "Le mot de passe doit compter au moins " +
                                                                 std::to_string(_settings.minPasswordChars) + " caractères.",
                                       {{"/password", "min_length", "Au moins " + std::to_string(_settings.minPasswordChars) +
                                                                        " caractères."}});
    if (password.size() > MAX_PASSWORD_BYTES)
        return Status::invalidArgument("password_too_long", "Le mot de passe est trop long (1 024 octets au plus).");
    return Status::ok();
}

// ---------------------------------------------------------------------------
// Users.

Result<CreatedUser> AccountService::createUser(const std::optional<Caller>& actor, const NewUser& input) const {
    std::vector<FieldError> errors;
    const std::string email = normaliseEmail(input.email);
    const std::string name = Poco::trim(input.name);
    if (!looksLikeEmail(email))
        errors.push_back({"/email", "format", "Adresse électronique invalide (exemple : prenom.nom@exemple.fr)."});
    if (name.empty()) errors.push_back({"/name", "required", "Le nom de la personne est obligatoire."});
    else if (!text::isValidUtf8(name) || text::length(name) > 200)
        errors.push_back({"/name", "max_length", "Le nom ne doit pas dépasser 200 caractères."});
    if (input.role != storage::ROLE_ADMIN && input.role != storage::ROLE_MEMBRE)
        errors.push_back({"/role", "enum", "Rôle inconnu : valeurs possibles admin, membre."});
    if (!input.password.empty()) {
        Status st = checkPasswordRules(input.password);
        if (!st.isOk()) errors.push_back({"/password", st.errorCode(), st.message()});
    }
    if (!errors.empty()) return Status::invalidArgument("invalid_user", "Le compte n'a pas été créé : " + errors.front().message, errors);

    storage::Organisation org;
    if (actor) {
        if (actor->userId.empty() || actor->role != storage::ROLE_ADMIN)
            return Status::permissionDenied("forbidden_role", "Seul un administrateur de l'organisation peut créer un compte.");
        auto o = _store->findOrganisation(actor->organisationId);
        if (!o.isOk()) return o.status();
        org = o.value();
    } else {
        auto o = _store->findOrganisation(input.organisation);
        if (!o.isOk() && o.status().code() == Status::Code::NotFound) o = _store->findOrganisationByName(input.organisation);
        if (!o.isOk()) return o.status().code() == Status::Code::NotFound
                                  ? Status::notFound("organisation_not_found", "Organisation introuvable : " + input.organisation)
                                  : o.status();
        org = o.value();
    }
    CreatedUser out;
    User u;
    u.id = storage::newId("usr_");
    u.organisationId = org.id;
    u.email = email;
    u.name = name;
    u.role = input.role;
    std::string password = input.password;
    if (password.empty()) {
        out.oneTimePassword = password = oneTimePassword();
        u.mustChangePassword = true;
    } else {
        u.mustChangePassword = input.mustChangePassword;
    }
    u.passwordHash = hashPassword(password);
    if (u.passwordHash.empty()) return Status::internal("hash_failed", "Le mot de passe n'a pas pu être chiffré.");
    auto created = _store->createUser(u, auditOf("user.created", actor ? actor->userId : "", u.id,
                                                 "{\"organisation\":" + jsonString(org.id) + ",\"role\":" + jsonString(u.role) + "}"));
    if (!created.isOk()) return created.status();
    out.user = created.value();
    return out;
}

Result<std::vector<User>> AccountService::listUsers(const Caller& admin) const {
    if (admin.userId.empty() || admin.role != storage::ROLE_ADMIN)
        return Status::permissionDenied("forbidden_role", "Réservé aux administrateurs de l'organisation.");
    return _store->listUsers(admin.organisationId);
}

Result<std::vector<std::pair<std::string, std::string>>> AccountService::colleagues(const Caller& caller) const {
    if (caller.userId.empty()) return Status::unauthenticated("unauthenticated", "Connectez-vous d'abord.");
    auto users = _store->listUsers(caller.organisationId);
    if (!users.isOk()) return users.status();
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& u : users.value()) out.emplace_back(u.id, u.name);
    return out;
}

Result<User> AccountService::userOfAdmin(const Caller& admin, const std::string& userId) const {
    if (admin.userId.empty() || admin.role != storage::ROLE_ADMIN)
        return Status::permissionDenied("forbidden_role", "Réservé aux administrateurs de l'organisation.");
    auto u = _store->findUser(userId);
    // Another organisation's user does not exist for this admin.
    if (!u.isOk() || u.value().organisationId != admin.organisationId)
        return u.isOk() || u.status().code() == Status::Code::NotFound
                   ? Status::notFound("user_not_found", "Utilisateur introuvable.")
                   : u.status();
    return u;
}

Status AccountService::setDisabled(const Caller& admin, const std::string& userId, bool disabled) const {
    auto u = userOfAdmin(admin, userId);
    if (!u.isOk()) return u.status();
    if (disabled && userId == admin.userId)
        return Status::invalidArgument("cannot_disable_self", "Vous ne pouvez pas désactiver votre propre compte.");
    User changed = u.value();
    changed.disabledAt = disabled ? std::to_string(now()) : "";
    auto r = _store->updateUser(changed, auditOf(disabled ? "user.disabled" : "user.enabled", admin.userId, userId));
    if (!r.isOk()) return r.status();
    if (disabled) return _store->deleteUserWebSessions(userId);
    return Status::ok();
}

Result<std::string> AccountService::resetPassword(const Caller& admin, const std::string& userId) const {
    auto u = userOfAdmin(admin, userId);
    if (!u.isOk()) return u.status();
    User changed = u.value();
    std::string password = oneTimePassword();
    changed.passwordHash = hashPassword(password);
    changed.mustChangePassword = true;
    auto r = _store->updateUser(changed, auditOf("user.password_reset", admin.userId, userId));
    if (!r.isOk()) return r.status();
    Status st = _store->deleteUserWebSessions(userId);
    if (!st.isOk()) return st;
    _store->clearLoginThrottle("compte:" + storage::sha256Hex(changed.email));
    return password;
}

Status AccountService::changePassword(const Caller& caller, const std::string& current, const std::string& next,
                                      const std::string& confirmation) const {
    if (caller.userId.empty()) return Status::unauthenticated("unauthenticated", "Connectez-vous d'abord.");
    auto u = _store->findUser(caller.userId);
    if (!u.isOk()) return u.status();
    std::vector<FieldError> errors;
    if (!verifyPassword(u.value().passwordHash, current))
        errors.push_back({"/current", "mismatch", "Le mot de passe actuel est incorrect."});
    Status rules = checkPasswordRules(next);
    if (!rules.isOk()) errors.push_back({"/password", rules.errorCode(), rules.message()});
    else if (next == current) errors.push_back({"/password", "unchanged", "Choisissez un mot de passe différent de l'actuel."});
    if (next != confirmation)
        errors.push_back({"/confirmation", "mismatch", "La confirmation ne correspond pas au nouveau mot de passe."});
    if (!errors.empty())
        return Status::invalidArgument("password_not_changed", "Le mot de passe n'a pas été changé.", errors);
    User changed = u.value();
    changed.passwordHash = hashPassword(next);
    changed.mustChangePassword = false;
    auto r = _store->updateUser(changed, auditOf("user.password_changed", caller.userId, caller.userId));
    return r.status();
}

// ---------------------------------------------------------------------------
// Sign-in and sessions.

Result<SignedIn> AccountService::signIn(const std::string& emailInput, const std::string& password,
                                        const std::string& clientAddress) const {
    const std::int64_t t = now();
    const std::string email = normaliseEmail(emailInput);
    std::vector<std::string> keys{"compte:" + storage::sha256Hex(email)};
    if (!clientAddress.empty()) keys.push_back("adresse:" + clientAddress);
    std::vector<storage::LoginThrottle> throttles;
    // Pass 1: refuse at once while a key is locked or still inside its delay.
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto th = _store->findLoginThrottle(keys[i]);
        if (!th.isOk()) return th.status();
        throttles.push_back(th.value());
        const auto& x = th.value();
        if (x.lockedUntilMs > t) {
            _store->appendAudit(auditOf("user.signin_refused", "", "", "{\"reason\":\"locked\"}"));
            std::int64_t minutes = std::max<std::int64_t>(1, (x.lockedUntilMs - t + 59999) / 60000);
            return Status::unauthenticated("signin_locked", "Trop de tentatives de connexion : la connexion est bloquée pendant " +
                                                                std::to_string(minutes) + " minute" + (minutes > 1 ? "s" : "") +
                                                                ". Réessayez plus tard ou demandez à votre administrateur.");
        }
        const int threshold = i == 0 ? _settings.delayAfterFailures : _settings.addressDelayAfterFailures;
        if (x.failures >= threshold) {
            int exponent = static_cast<int>(std::min<std::int64_t>(x.failures - threshold, 16));
            std::int64_t delayMs = std::min<std::int64_t>(1000LL << exponent, _settings.maxDelaySeconds * 1000LL);
            if (t < x.lastFailureAtMs + delayMs) {
                _store->appendAudit(auditOf("user.signin_refused", "", "", "{\"reason\":\"throttled\"}"));
                std::int64_t seconds = (x.lastFailureAtMs + delayMs - t + 999) / 1000;
                return Status::unauthenticated("signin_throttled", "Trop de tentatives rapprochées : patientez " +
                                                                       std::to_string(seconds) + " seconde" +
                                                                       (seconds > 1 ? "s" : "") + " avant de réessayer.");
            }
        }
    }
    // Pass 2: check the password (an unknown account costs the same work).
    auto user = _store->findUserByEmail(email);
    if (!user.isOk() && user.status().code() != Status::Code::NotFound) return user.status();
    static const std::string dummyHash = hashPassword("passerelle-dummy-password");
    bool ok = user.isOk() ? verifyPassword(user.value().passwordHash, password) : (verifyPassword(dummyHash, password), false);
    bool disabled = user.isOk() && !user.value().disabledAt.empty();
    std::optional<storage::Organisation> org;
    if (ok && !disabled) {
        auto o = _store->findOrganisation(user.value().organisationId);
        if (!o.isOk()) return o.status();
        org = o.value();
    }
    if (!ok || disabled) {
        for (std::size_t i = 0; i < throttles.size(); ++i) {
            auto& x = throttles[i];
            x.failures += 1;
            x.lastFailureAtMs = t;
            const int lockAt = i == 0 ? _settings.lockAfterFailures : _settings.addressLockAfterFailures;
            if (x.failures >= lockAt) x.lockedUntilMs = t + _settings.lockMinutes * 60000LL;
            Status st = _store->saveLoginThrottle(x);
            if (!st.isOk()) return st;
        }
        std::string reason = !user.isOk() ? "unknown_account" : disabled ? "disabled" : "bad_password";
        _store->appendAudit(auditOf("user.signin_failed", user.isOk() ? user.value().id : "",
                                    user.isOk() ? user.value().id : "", "{\"reason\":\"" + reason + "\"}"));
        if (throttles[0].lockedUntilMs > t)
            return Status::unauthenticated("signin_locked", "Trop de tentatives de connexion : la connexion est bloquée pendant " +
                                                                std::to_string(_settings.lockMinutes) +
                                                                " minutes. Réessayez plus tard ou demandez à votre administrateur.");
        return signInFailed();
    }
    _store->clearLoginThrottle(keys[0]);
    storage::WebSession w;
    SignedIn out;
    out.sessionToken = randomHex(32);
    w.tokenHash = storage::sha256Hex(out.sessionToken);
    w.userId = user.value().id;
    w.csrfToken = randomHex(24);
    w.createdAtMs = w.lastSeenAtMs = t;
    w.expiresAtMs = t + _settings.absoluteHours * 3600000LL;
    Status st = _store->createWebSession(w);
    if (!st.isOk()) return st;
    _store->appendAudit(auditOf("user.signed_in", user.value().id, user.value().id));
    out.caller = callerOf(user.value(), *org);
    out.mustChangePassword = user.value().mustChangePassword;
    return out;
}

Result<SessionView> AccountService::resolveSession(const std::string& token) const {
    if (token.size() != 64) return sessionExpired();
    const std::string hash = storage::sha256Hex(token);
    auto w = _store->findWebSession(hash);
    if (!w.isOk()) return w.status().code() == Status::Code::NotFound ? sessionExpired() : w.status();
    const std::int64_t t = now();
    if (t >= w.value().expiresAtMs || t - w.value().lastSeenAtMs >= _settings.idleMinutes * 60000LL) {
        _store->deleteWebSession(hash);
        return sessionExpired();
    }
    auto u = _store->findUser(w.value().userId);
    if (!u.isOk() || !u.value().disabledAt.empty()) {
        _store->deleteWebSession(hash);
        return sessionExpired();
    }
    auto o = _store->findOrganisation(u.value().organisationId);
    if (!o.isOk()) return o.status();
    // One write per minute at most, not one per page.
    if (t - w.value().lastSeenAtMs >= 60000) _store->touchWebSession(hash, t);
    SessionView v;
    v.caller = callerOf(u.value(), o.value());
    v.csrfToken = w.value().csrfToken;
    v.mustChangePassword = u.value().mustChangePassword;
    v.email = u.value().email;
    return v;
}

Status AccountService::signOut(const std::string& token) const {
    if (token.empty()) return Status::ok();
    const std::string hash = storage::sha256Hex(token);
    auto w = _store->findWebSession(hash);
    Status st = _store->deleteWebSession(hash);
    if (w.isOk()) _store->appendAudit(auditOf("user.signed_out", w.value().userId, w.value().userId));
    return st;
}

} // namespace passerelle::service
