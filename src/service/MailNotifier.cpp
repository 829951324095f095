#include "service/MailNotifier.h"

#include <chrono>
#include <iostream>
#include <set>
#include <sstream>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Timestamp.h>

#include "delivery/Mime.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

namespace {

std::string json(const Poco::JSON::Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    return out.str();
}

Poco::JSON::Object::Ptr object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string trimSlash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

} // namespace

MailNotifier::MailNotifier(std::shared_ptr<storage::MailStore> mail, FormTitle formTitle, MailSettings settings)
    : _mail(std::move(mail)), _formTitle(std::move(formTitle)), _settings(std::move(settings)) {
    _settings.publicUrl = trimSlash(_settings.publicUrl);
}

// The texts. Each names only: the form's title, the organisation, the opaque
// reference and the link. No field of the dossier or the document is read here.
ComposedMail MailNotifier::compose(const Notification& n) const {
    std::string title = _formTitle ? _formTitle(n.documentKind) : "";
    if (title.empty()) title = "document";
    std::string org;
    if (!n.senderOrganisationId.empty()) {
        auto o = _mail->store().findOrganisation(n.senderOrganisationId);
        if (o.isOk()) org = o.value().name;
    }
    if (org.empty()) org = "Une organisation partenaire";
    const std::string url = _settings.publicUrl + (n.link.empty() ? "/connexion" : n.link);
    const std::string ref = "Référence Passerelle : " + n.reference + "\n\n";
    ComposedMail m;
    std::string b = "Bonjour,\n\n";
    if (n.kind == NOTIFY_COPY_RECEIVED) {
        m.subject = "Nouveau document reçu : " + title;
        b += org + " vous a transmis un document dans Passerelle : " + title + ".\n\n" + ref +
             "Pour le consulter, connectez-vous à Passerelle :\n" + url + "\n";
    } else if (n.kind == NOTIFY_TRANSMISSION_REFUSED) {
        m.subject = "Transmission non effectuée : " + title;
        b += "La transmission d’un document (" + title + ") à " + org +
             " n’a pas été effectuée : la règle de consentement ne l’a pas permise, rien n’a été envoyé.\n"
             "Le motif et ce qu’il faut faire sont indiqués sur la page du document.\n\n" + ref +
             "Pour la consulter, connectez-vous à Passerelle :\n" + url + "\n";
    } else if (n.kind == NOTIFY_PUSH_FAILED) {
        m.subject = "Échec de l’envoi automatique : " + title;
        b += "L’envoi automatique d’un document (" + title + ") au service de réception de " + org +
             " a définitivement échoué. La copie reste disponible pour le destinataire dans son espace Passerelle ;"
             " vous pouvez l’en avertir.\n\n" + ref + "Pour voir l’état de l’envoi, connectez-vous à Passerelle :\n" + url +
             "\n";
    } else if (n.kind == NOTIFY_SIGNATURE_AWAITED) {
        m.subject = "Signature attendue : " + title;
        b += org + " vous invite à signer un document dans Passerelle : " + title + ".\n\n" + ref +
             "Pour le lire et le signer, connectez-vous à Passerelle :\n" + url + "\n";
    } else if (n.kind == NOTIFY_SIGNATURE_COMPLETED) {
        m.subject = "Document signé par tous : " + title;
        b += "Tous les signataires ont signé un document (" + title + ", " + org +
             "). Le PDF signé et scellé est disponible dans Passerelle.\n\n" + ref +
             "Pour le télécharger, connectez-vous à Passerelle :\n" + url + "\n";
    } else if (n.kind == NOTIFY_CONSENT_EXPIRING) {
        m.subject = "Un consentement arrive à échéance : " + title;
        b += "Un consentement d’un ménage pour la transmission de documents (" + title + ") à " + org +
             " arrive à échéance dans moins de " + std::to_string(_settings.consentReminderDays) +
             " jours. Si l’accompagnement se poursuit, voyez avec le ménage s’il souhaite le renouveler.\n\n" + ref +
             "Pour voir le dossier, connectez-vous à Passerelle :\n" + url + "\n";
    } else if (n.kind == NOTIFY_SIGNING_LINK) {
        m.subject = "Document à signer : " + title;
        b += org + " vous invite à signer un document : " + title + ".\n\n"
             "Ouvrez ce lien personnel pour le lire et le signer :\n" + url + "\n\n"
             "Ce lien ne sert qu’une fois et expire rapidement. Ne le transmettez à personne.\n\n" + ref;
    } else {
        m.subject = "Notification : " + title;
        b += "Du nouveau dans Passerelle (" + title + ").\n\n" + ref + url + "\n";
    }
    b += "\nCe message ne contient aucune information sur le ménage concerné : tout se consulte dans Passerelle.\n";
    if (n.kind != NOTIFY_SIGNING_LINK)
        b += "Pour choisir les notifications que vous recevez : " + _settings.publicUrl + "/preferences\n";
    b += "\n-- \nPasserelle — message automatique, merci de ne pas y répondre.\n";
    m.subject = "Passerelle : " + m.subject;
    m.body = b;
    return m;
}

void MailNotifier::notify(const Notification& n) {
    try {
        if (!n.email.empty()) {
            queue(n, "", n.organisationId, n.email);
            return;
        }
        std::vector<storage::User> users;
        if (!n.userId.empty()) {
            auto u = _mail->store().findUser(n.userId);
            if (u.isOk()) users.push_back(u.value());
        } else if (!n.organisationId.empty()) {
            auto list = _mail->store().listUsers(n.organisationId);
            if (list.isOk()) users = list.value();
            else {
                ++_failures;
                std::cerr << "courriel : utilisateurs introuvables (" << n.kind << ", " << n.reference
                          << ") : " << list.status().toString() << std::endl;
            }
        }
        for (const auto& u : users) {
            if (!u.disabledAt.empty()) continue;
            auto prefs = _mail->preferences(u.id);
            if (prefs.isOk()) {
                auto it = prefs.value().find(n.kind);
                if (it != prefs.value().end() && !it->second) continue;
            }
            queue(n, u.id, u.organisationId, u.email);
        }
    } catch (const std::exception& e) {
        ++_failures;
        std::cerr << "courriel : notification non mise en file (" << n.kind << ", " << n.reference << ") : " << e.what()
                  << std::endl;
    }
}

void MailNotifier::queue(const Notification& n, const std::string& userId, const std::string& orgId,
                         const std::string& address) {
    if (!delivery::isPlausibleAddress(address)) {
        ++_failures;
        std::cerr << "courriel : adresse invalide, message non mis en file (" << n.kind << ", " << n.reference << ")"
                  << std::endl;
        return;
    }
    const ComposedMail text = compose(n);
    storage::QueuedMail q;
    q.id = storage::newId("mail_");
    q.dedupeKey = n.kind + "|" + n.reference + "|" + (userId.empty() ? address : userId);
    q.kind = n.kind;
    q.reference = n.reference;
    q.recipientUserId = userId;
    q.recipientOrgId = orgId;
    q.address = address;
    delivery::MailContent c;
    c.from = _settings.from;
    c.to = address;
    c.subject = text.subject;
    c.body = text.body;
    c.messageId = q.id + "@" + delivery::domainOf(delivery::addressOf(_settings.from));
    c.dateEpochSeconds = Poco::Timestamp().epochTime();
    c.extraHeaders["X-Passerelle-Kind"] = n.kind;
    q.message = delivery::composeMessage(c);
    q.messageSha256 = storage::sha256Hex(q.message);
    q.nextAttemptAtMs = Poco::Timestamp().epochMicroseconds() / 1000;
    // Identifiers and the hash only: never the address, never the text (a signing link is a secret).
    auto details = object();
    details->set("kind", n.kind);
    details->set("reference", n.reference);
    if (!userId.empty()) details->set("user", userId);
    else details->set("recipient", "adresse fournie");
    details->set("sha256", q.messageSha256);
    auto r = _mail->enqueue(q, {"mail.queued", "system", q.id, json(details)});
    if (!r.isOk()) {
        ++_failures;
        std::cerr << "courriel : message non mis en file (" << n.kind << ", " << n.reference
                  << ") : " << r.status().toString() << std::endl;
    }
}

// ---------------------------------------------------------------------------
// Preferences.

Result<std::vector<std::pair<NotificationKind, bool>>> NotificationPreferences::of(const std::string& userId) const {
    auto prefs = _mail->preferences(userId);
    if (!prefs.isOk()) return prefs.status();
    std::vector<std::pair<NotificationKind, bool>> out;
    for (const auto& k : notificationKinds()) {
        if (!k.forUsers) continue;
        auto it = prefs.value().find(k.id);
        out.push_back({k, it == prefs.value().end() || it->second});
    }
    return out;
}

Status NotificationPreferences::set(const std::string& userId, const std::string& organisationId,
                                    const std::vector<std::string>& enabled) const {
    std::set<std::string> on(enabled.begin(), enabled.end());
    for (const auto& k : on)
        if (!isNotificationKind(k))
            return Status::invalidArgument("validation_failed", "Type de notification inconnu : « " + k + " ».",
                                           {{"/notifications", "enum", "Type de notification inconnu : « " + k + " »."}});
    std::map<std::string, bool> choices;
    auto details = object();
    auto off = new Poco::JSON::Array;
    Poco::JSON::Array::Ptr offPtr(off);
    for (const auto& k : notificationKinds()) {
        if (!k.forUsers) continue;
        choices[k.id] = on.count(k.id) > 0;
        if (!choices[k.id]) off->add(std::string(k.id));
    }
    details->set("off", offPtr);
    return _mail->setPreferences(userId, choices, {"notifications.preferences", organisationId, userId, json(details)});
}

std::string NotificationPreferences::addressOf(const std::string& userId) const {
    auto u = _mail->store().findUser(userId);
    return u.isOk() ? u.value().email : "";
}

// ---------------------------------------------------------------------------
// The mail thread.

MailLoop::MailLoop(std::shared_ptr<storage::MailStore> mail, std::shared_ptr<delivery::Sender> sender, Notifier& notifier,
                   MailSettings settings)
    : _mail(std::move(mail)), _sender(std::move(sender)), _notifier(notifier), _settings(std::move(settings)),
      _worker(*_mail, *_sender, _settings.retry,
              [this](const delivery::OutboxMessage& m, const delivery::SendResult& r, bool dead) {
                  // Identifiers and outcome only: never the address nor the text.
                  auto details = object();
                  details->set("reference", m.transmissionId);
                  details->set("attempt", m.attempts + 1);
                  details->set("smtpStatus", r.httpStatus);
                  if (!r.error.empty()) details->set("error", r.error.substr(0, 200));
                  const char* event = r.delivered ? "mail.sent" : dead ? "mail.dead" : "mail.attempt";
                  _mail->store().appendAudit({event, "system", m.id, json(details)});
                  if (!r.delivered)
                      std::cerr << "courriel : envoi " << (dead ? "abandonné" : "à réessayer") << " (" << m.id << ") : "
                                << r.error << std::endl;
              }) {}

MailLoop::~MailLoop() { stop(); }

Result<int> MailLoop::deliverOnce(std::int64_t nowMs) { return _worker.runOnce(nowMs); }

Result<int> MailLoop::remindOnce(std::int64_t nowSeconds) {
    const std::int64_t until = nowSeconds + static_cast<std::int64_t>(_settings.consentReminderDays) * 86400;
    auto due = _mail->consentsToRemind(nowSeconds, until);
    if (!due.isOk()) return due.status();
    int n = 0;
    for (const auto& c : due.value()) {
        Notification note;
        note.kind = NOTIFY_CONSENT_EXPIRING;
        addressToReferent(_mail->store(), c.dossierId, c.associationId, "", note);
        note.documentKind = c.documentKind;
        note.senderOrganisationId = c.recipientOrgId;
        note.reference = c.consentId;
        note.link = "/dossiers/" + c.dossierId;
        // Queue first (idempotent per consent and user), then mark: a crash in between
        // re-runs the notify on the next pass, which queues nothing new.
        _notifier.notify(note);
        auto marked = _mail->markReminded(c.consentId);
        if (!marked.isOk()) return marked.status();
        n += marked.value() ? 1 : 0;
    }
    return n;
}

void MailLoop::start() {
    std::lock_guard<std::mutex> lock(_mu);
    if (_thread.joinable()) return;
    _stop = false;
    _thread = std::thread([this] {
        std::int64_t nextReminderMs = 0;
        std::unique_lock<std::mutex> lock(_mu);
        while (!_stop) {
            lock.unlock();
            const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
            if (now >= nextReminderMs) {
                auto r = remindOnce(now / 1000);
                if (!r.isOk()) std::cerr << "courriel : rappels d'échéance : " << r.status().toString() << std::endl;
                nextReminderMs = now + static_cast<std::int64_t>(_settings.reminderIntervalSeconds) * 1000;
            }
            (void)_worker.runOnce(now); // failures stay in the outbox and are retried on a later pass
            lock.lock();
            _cv.wait_for(lock, std::chrono::milliseconds(_settings.deliveryIntervalMs), [this] { return _stop; });
        }
    });
}

void MailLoop::stop() {
    {
        std::lock_guard<std::mutex> lock(_mu);
        _stop = true;
    }
    _cv.notify_all();
    if (_thread.joinable() && _thread.get_id() != std::this_thread::get_id()) _thread.join();
}

} // namespace passerelle::service
