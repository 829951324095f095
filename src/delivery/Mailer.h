#pragma once
// SmtpSender: the delivery::Sender of e-mail notifications. An outbox message
// for e-mail carries the recipient as `url` ("mailto:person@example.org") and
// the whole RFC 5322 message (delivery/Mime.h) as `body`; the sender opens one
// SMTP session per message (Poco::Net::SecureSMTPClientSession):
//   EHLO → STARTTLS when the relay offers it (or always / never, see
//   SmtpConfig::starttls) → EHLO again → AUTH (PLAIN, LOGIN or CRAM-MD5, the
//   first the relay offers) when a user is configured → MAIL FROM / RCPT TO /
//   DATA → QUIT.
// Results: 250 after the data → delivered; an SMTP 4xx or a network failure →
// retried by the outbox with its backoff; an SMTP 5xx → permanent (the
// message is dead at once). The password is never logged nor put in an
// error text. Thread-safe (no shared state besides the TLS context).
#include <string>

#include <Poco/Net/Context.h>

#include "delivery/Outbox.h"

namespace passerelle::delivery {

struct SmtpConfig {
    std::string host;            // empty: e-mail off
    int port = 25;
    std::string user;            // empty: no AUTH
    std::string password;
    std::string from = "Passerelle <passerelle@localhost>";
    // auto (default): STARTTLS when the relay offers it; required: refuse to
    // send without it; off: never (a relay on the same host).
    std::string starttls = "auto";
    std::string caFile;          // PEM of the CA that signed the relay's certificate (default: the system's)
    bool verifyCertificate = true;
    int timeoutSeconds = 20;
    // The name sent with EHLO (default: this host's name).
    std::string heloName;

    bool enabled() const { return !host.empty(); }
};

class SmtpSender : public Sender {
public:
    explicit SmtpSender(SmtpConfig config);
    ~SmtpSender() override;
    SendResult send(const OutboxMessage& message) override;

    const SmtpConfig& config() const { return _config; }

private:
    SmtpConfig _config;
    Poco::Net::Context::Ptr _context; // created once, shared by sessions
};

// "mailto:a@b" → "a@b" ("" when not a mailto: URL).
std::string mailtoAddress(const std::string& url);

} // namespace passerelle::delivery
