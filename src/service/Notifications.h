#pragma once
// Helpers of the use cases that notify (TransmissionService, SigningService,
// DeliveryLoop, the consent reminder): the default notifier and "who is the
// association's référent for this dossier". Kinds and their French labels
// live here too, for the preferences page and the e-mail texts.
#include <string>
#include <vector>

#include "service/Notifier.h"
#include "storage/Store.h"

namespace passerelle::service {

// The kinds of Notification::kind.
inline constexpr const char* NOTIFY_COPY_RECEIVED = "copy_received";
inline constexpr const char* NOTIFY_TRANSMISSION_REFUSED = "transmission_refused";
inline constexpr const char* NOTIFY_PUSH_FAILED = "push_failed";
inline constexpr const char* NOTIFY_SIGNATURE_AWAITED = "signature_awaited";
inline constexpr const char* NOTIFY_SIGNATURE_COMPLETED = "signature_completed";
inline constexpr const char* NOTIFY_CONSENT_EXPIRING = "consent_expiring";
inline constexpr const char* NOTIFY_SIGNING_LINK = "signing_link";

struct NotificationKind {
    const char* id;
    const char* label; // French, for the preferences page
    const char* hint;
    bool forUsers;     // false: not a user's choice (the signing link goes to a household member's address)
};
// Every kind, in the order the preferences page shows them.
const std::vector<NotificationKind>& notificationKinds();
bool isNotificationKind(const std::string& kind);

// The shared "notifications off" instance (the services' default).
inline Notifier& noNotifier() {
    static NoNotifier none;
    return none;
}

// Addresses `n` to the référent of the dossier (the user who follows it), else
// to `fallbackUserId` (the person who acted), else to every user of the
// association; a référent whose account is disabled: every user of the
// association. Never fails: on a storage error it falls back as when none.
void addressToReferent(storage::Store& store, const std::string& dossierId, const std::string& associationId,
                       const std::string& fallbackUserId, Notification& n);

} // namespace passerelle::service
