#pragma once
// AccountService: the people who sign in to the web pages — users of an
// organisation (roles admin / membre), their passwords (Argon2id), their
// sessions (stored in the database, so every instance shares them) and the
// throttling of sign-in attempts.
//
// Rules:
//  - an e-mail is one account (lower-cased, unique across organisations);
//  - a one-time password (printed by the CLI, shown once to the admin who
//    resets it) must be changed at the first sign-in;
//  - a failed sign-in answers one generic message whether or not the account
//    exists; attempts are counted per account ("compte:" + SHA-256 of the
//    e-mail, so unknown e-mails are throttled too) and per client address:
//    from `delayAfterFailures` failures on, each new attempt must wait a
//    delay that doubles (1 s, 2 s, 4 s … up to `maxDelaySeconds`); at
//    `lockAfterFailures` the account is locked for `lockMinutes` (the
//    address at `addressLockAfterFailures`);
//  - a session ends after `idleMinutes` without a request, after
//    `absoluteHours` whatever the activity, at sign-out, and when its user
//    is disabled or their password is reset;
//  - every sign-in, failed sign-in and change of a user is audited with
//    identifiers only (never an e-mail nor a password).
// Thread-safe when the Store is.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/Status.h"
#include "service/Caller.h"
#include "storage/Store.h"

namespace passerelle::service {

struct AccountSettings {
    int idleMinutes = 30;
    int absoluteHours = 12;
    int delayAfterFailures = 3;
    int maxDelaySeconds = 60;
    int lockAfterFailures = 10;
    int lockMinutes = 15;
    // Per client address (an office behind one NAT shares it): a delay only after many failures.
    int addressDelayAfterFailures = 20;
    int addressLockAfterFailures = 50;
    std::size_t minPasswordChars = 12;
    // Epoch milliseconds; tests pass their own clock.
    std::function<std::int64_t()> clock;
};

struct NewUser {
    std::string organisation; // id or name (CLI); the admin's own organisation (web)
    std::string email;
    std::string name;
    std::string role;     // admin | membre
    std::string password; // empty: a one-time password is generated
    // A given password: whether the person must still choose their own at the first sign-in
    // (the CLI asks it unless --keep-password). A generated one must always be changed.
    bool mustChangePassword = false;
};

struct CreatedUser {
    storage::User user;
    std::string oneTimePassword; // empty when the password was given
};

struct SignedIn {
    std::string sessionToken; // goes in the cookie; the store keeps its hash only
    Caller caller;
    bool mustChangePassword = false;
};

// A valid session, as a page sees it.
struct SessionView {
    Caller caller;
    std::string csrfToken;
    bool mustChangePassword = false;
    std::string email;
};

class AccountService {
public:
    AccountService(std::shared_ptr<storage::Store> store, AccountSettings settings = {});

    // `actor`: the organisation admin (web) or nullopt (CLI, trusted).
    Result<CreatedUser> createUser(const std::optional<Caller>& actor, const NewUser& input) const;
    // Unauthenticated "signin_failed" (generic), "signin_throttled" or "signin_locked" with a French message.
    Result<SignedIn> signIn(const std::string& email, const std::string& password, const std::string& clientAddress) const;
    // Unauthenticated "session_expired" when unknown, idle too long, too old or its user disabled.
    Result<SessionView> resolveSession(const std::string& sessionToken) const;
    Status signOut(const std::string& sessionToken) const;
    // The signed-in user changes their own password.
    Status changePassword(const Caller& caller, const std::string& current, const std::string& next,
                          const std::string& confirmation) const;

    // Organisation admins only (PermissionDenied otherwise); users of their own organisation.
    Result<std::vector<storage::User>> listUsers(const Caller& admin) const;
    // Any signed-in person: the people of their own organisation (id and name only: the référent filter).
    Result<std::vector<std::pair<std::string, std::string>>> colleagues(const Caller& caller) const;
    Status setDisabled(const Caller& admin, const std::string& userId, bool disabled) const;
    // A new one-time password (the user must change it); ends their sessions.
    Result<std::string> resetPassword(const Caller& admin, const std::string& userId) const;

    static std::string hashPassword(const std::string& password);
    static bool verifyPassword(const std::string& encodedHash, const std::string& password);
    static std::string normaliseEmail(const std::string& email);
    const AccountSettings& settings() const { return _settings; }

private:
    std::int64_t now() const;
    Result<storage::User> userOfAdmin(const Caller& admin, const std::string& userId) const;
    Status checkPasswordRules(const std::string& password) const;

    std::shared_ptr<storage::Store> _store;
    AccountSettings _settings;
};

} // namespace passerelle::service
