#pragma once
// MailNotifier: the Notifier that sends e-mail through the durable mail
// outbox (storage::MailStore), and MailLoop, the serve process' background
// thread that delivers it (delivery::OutboxWorker + SmtpSender) and sends the
// reminders before a consent expires.
//
// What a message says (docs/notifications.md). A notification carries NO
// personal data: no household name, address or content; only the kind of
// document (the form's French title), the organisation it names, an opaque
// Passerelle reference (trn_…, sgn_…, cns_…) and a link under the public base
// URL (to sign in; for a household member's signing link, the single-use link
// itself). The subject and body are French, in UTF-8 (subject RFC 2047,
// body quoted-printable), with Date and a stable Message-ID.
//
// Who gets it: Notification::email (a signing link) as given; userId: that
// user; organisationId: every user of the organisation. A disabled account
// gets nothing; a user gets a kind unless they turned it off (preferences).
// The address is the one the user signs in with.
//
// Transactions: notify() is called by the use case right after the event's
// own transaction committed, and queues each message (with its audit event
// "mail.queued") in a transaction of its own. A crash between the two loses
// the notification (never sends one for an event that did not happen); the
// inbox and the document's page stay the source of truth. Queueing is
// idempotent: kind|reference|recipient is unique, so a second notify() of the
// same event queues nothing.
//
// Never throws and never fails the caller: a message that cannot be queued
// is logged (kind and reference, never the address) and counted.
// Thread-safe.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "delivery/Outbox.h"
#include "service/Notifications.h"
#include "storage/MailStore.h"

namespace passerelle::service {

struct MailSettings {
    std::string publicUrl = "http://127.0.0.1:8080"; // passerelle.public-url: base of every link
    std::string from = "Passerelle <passerelle@localhost>"; // passerelle.smtp.from
    int consentReminderDays = 30;       // passerelle.notifications.consent-reminder-days
    int deliveryIntervalMs = 2000;      // passerelle.notifications.interval-ms: outbox pass
    int reminderIntervalSeconds = 3600; // passerelle.notifications.reminder-interval-seconds
    // Retries: 30 s, 1 min, 2 min … capped at 1 h; dead after 12 attempts (about 7 h).
    delivery::RetryPolicy retry{30000, 3600 * 1000, 12};
};

// The French title of a form id ("" when unknown).
using FormTitle = std::function<std::string(const std::string& formId)>;

struct ComposedMail {
    std::string subject;
    std::string body;
};

class MailNotifier final : public Notifier {
public:
    MailNotifier(std::shared_ptr<storage::MailStore> mail, FormTitle formTitle, MailSettings settings);

    void notify(const Notification& n) override;

    // The French text of `n` (what notify() queues), for tests and docs.
    ComposedMail compose(const Notification& n) const;
    // Messages that could not be queued (storage error, bad address) since start.
    int failures() const { return _failures.load(); }
    const MailSettings& settings() const { return _settings; }

private:
    void queue(const Notification& n, const std::string& userId, const std::string& orgId, const std::string& address);

    std::shared_ptr<storage::MailStore> _mail;
    FormTitle _formTitle;
    MailSettings _settings;
    std::atomic<int> _failures{0};
};

// The users' choices for the preferences page (works with e-mail off too).
class NotificationPreferences {
public:
    explicit NotificationPreferences(std::shared_ptr<storage::MailStore> mail) : _mail(std::move(mail)) {}
    // Every user kind with its state (default on).
    Result<std::vector<std::pair<NotificationKind, bool>>> of(const std::string& userId) const;
    // `enabled`: the kinds to keep on; every other user kind is turned off. Audited ("notifications.preferences").
    Status set(const std::string& userId, const std::string& organisationId, const std::vector<std::string>& enabled) const;
    // The address messages go to (the sign-in e-mail), "" when unknown.
    std::string addressOf(const std::string& userId) const;

private:
    std::shared_ptr<storage::MailStore> _mail;
};

// The serve process' mail thread: every deliveryIntervalMs one outbox pass
// (each attempt audited: mail.sent / mail.attempt / mail.dead, identifiers and
// SMTP status only), every reminderIntervalSeconds one reminder pass.
// stop() wakes the thread and joins it.
class MailLoop {
public:
    MailLoop(std::shared_ptr<storage::MailStore> mail, std::shared_ptr<delivery::Sender> sender, Notifier& notifier,
             MailSettings settings);
    ~MailLoop();
    void start();
    void stop();
    // One delivery pass now; returns how many were delivered.
    Result<int> deliverOnce(std::int64_t nowMs);
    // One reminder pass: consents in force expiring within consentReminderDays of
    // `nowSeconds`, never reminded: notify the référent, once per consent. Returns how many.
    Result<int> remindOnce(std::int64_t nowSeconds);

private:
    std::shared_ptr<storage::MailStore> _mail;
    std::shared_ptr<delivery::Sender> _sender;
    Notifier& _notifier;
    MailSettings _settings;
    delivery::OutboxWorker _worker;
    std::mutex _mu;
    std::condition_variable _cv;
    bool _stop = false;
    std::thread _thread;
};

} // namespace passerelle::service
