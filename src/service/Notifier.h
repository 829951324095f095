#pragma once
// Notifier: how a use case says "someone should be told" without knowing how
// (e-mail through the outbox, or nothing when no SMTP relay is configured).
// A notification names no household: only the kind of document, the sending
// organisation, a reference that means nothing outside Passerelle, and a link
// to sign in (or, for a signing link, the single-use link itself).
#include <string>

namespace passerelle::service {

struct Notification {
    // copy_received | transmission_refused | push_failed | signature_awaited |
    // signature_completed | consent_expiring | signing_link
    std::string kind;
    std::string organisationId;   // tell the users of this organisation…
    std::string userId;           // …or this one user…
    std::string email;            // …or this address (a household member's signing link)
    std::string documentKind;     // form id, e.g. "grille-capacite-habiter"
    std::string senderOrganisationId;
    std::string reference;        // an opaque id (document, transmission, signing)
    std::string link;             // path under the public base URL, e.g. "/recus/trn_…"
};

class Notifier {
public:
    virtual ~Notifier() = default;
    // Never fails the caller's use case: a notifier that cannot queue records it.
    virtual void notify(const Notification& n) = 0;
};

// The default: notifications off (no SMTP relay configured).
class NoNotifier final : public Notifier {
public:
    void notify(const Notification&) override {}
};

} // namespace passerelle::service
