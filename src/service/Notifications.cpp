#include "service/Notifications.h"

namespace passerelle::service {

const std::vector<NotificationKind>& notificationKinds() {
    static const std::vector<NotificationKind> all = {
        {NOTIFY_COPY_RECEIVED, "Document reçu", "Une association vous a transmis un document (bailleur, SIAO).", true},
        {NOTIFY_TRANSMISSION_REFUSED, "Transmission refusée",
         "Une transmission d’un dossier que vous suivez n’a pas été autorisée par la règle de consentement.", true},
        {NOTIFY_PUSH_FAILED, "Échec de l’envoi automatique",
         "L’envoi automatique au service de réception d’un destinataire a définitivement échoué.", true},
        {NOTIFY_SIGNATURE_AWAITED, "Signature attendue", "Un document attend votre signature.", true},
        {NOTIFY_SIGNATURE_COMPLETED, "Document signé par tous", "Tous les signataires d’un document ont signé.", true},
        {NOTIFY_CONSENT_EXPIRING, "Consentement bientôt échu",
         "Un consentement d’un dossier que vous suivez arrive à échéance.", true},
        {NOTIFY_SIGNING_LINK, "Lien de signature", "Lien personnel envoyé à un membre du ménage.", false},
    };
    return all;
}

bool isNotificationKind(const std::string& kind) {
    for (const auto& k : notificationKinds())
        if (kind == k.id) return true;
    return false;
}

void addressToReferent(storage::Store& store, const std::string& dossierId, const std::string& associationId,
                       const std::string& fallbackUserId, Notification& n) {
    n.userId.clear();
    n.organisationId.clear();
    if (!dossierId.empty()) {
        auto referent = store.dossierReferent(dossierId);
        if (referent.isOk() && !referent.value().empty()) {
            // A référent whose account is disabled (gone) hears nothing: the association does.
            auto user = store.findUser(referent.value());
            if (user.isOk() && user.value().disabledAt.empty()) {
                n.userId = referent.value();
                return;
            }
            if (user.isOk()) {
                n.organisationId = associationId;
                return;
            }
        }
    }
    if (!fallbackUserId.empty()) {
        n.userId = fallbackUserId;
        return;
    }
    n.organisationId = associationId;
}

} // namespace passerelle::service
