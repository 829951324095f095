#include "delivery/Mailer.h"

#include <mutex>
#include <sstream>

#include <Poco/Environment.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/String.h>

#include "delivery/Mime.h"

namespace passerelle::delivery {

namespace {

// One EHLO, its reply lines kept (the capabilities: STARTTLS, AUTH …).
int ehlo(Poco::Net::SMTPClientSession& session, const std::string& name, std::string& reply) {
    return session.sendCommand("EHLO", name, reply);
}

bool offers(const std::string& ehloReply, const std::string& capability) {
    std::istringstream lines(Poco::toUpper(ehloReply));
    std::string line;
    const std::string cap = Poco::toUpper(capability);
    while (std::getline(lines, line)) {
        // "250-STARTTLS", "250 AUTH PLAIN LOGIN"
        if (line.size() < 4) continue;
        std::string rest = line.substr(4);
        if (rest.compare(0, cap.size(), cap) == 0) return true;
    }
    return false;
}

bool offersAuth(const std::string& ehloReply, const std::string& method) {
    std::istringstream lines(Poco::toUpper(ehloReply));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.size() < 4 || line.compare(4, 4, "AUTH") != 0) continue;
        std::istringstream words(line.substr(8));
        std::string w;
        while (words >> w)
            if (w == method) return true;
    }
    return false;
}

// An SMTP reply's text without the password (never echoed by a sane relay, but
// an error text is logged and stored: strip it whatever happens).
std::string scrub(std::string text, const std::string& secret) {
    if (!secret.empty())
        for (std::size_t p; (p = text.find(secret)) != std::string::npos;) text.replace(p, secret.size(), "***");
    for (char& c : text)
        if (c == '\r' || c == '\n') c = ' ';
    return text.substr(0, 300);
}

} // namespace

std::string mailtoAddress(const std::string& url) {
    if (url.compare(0, 7, "mailto:") != 0) return "";
    return url.substr(7);
}

SmtpSender::SmtpSender(SmtpConfig config) : _config(std::move(config)) {
    static std::once_flag ssl;
    std::call_once(ssl, [] {
        Poco::Net::initializeSSL();
        // Never ask on a console: an invalid certificate is refused.
        Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject(new Poco::Net::RejectCertificateHandler(false));
        Poco::Net::Context::Ptr clientDefault(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                                     Poco::Net::Context::VERIFY_RELAXED, 9, true));
        Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, clientDefault);
    });
    if (_config.starttls != "off") {
        _context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, _config.caFile,
                                          _config.verifyCertificate ? Poco::Net::Context::VERIFY_RELAXED
                                                                    : Poco::Net::Context::VERIFY_NONE,
                                          9, /*loadDefaultCAs=*/_config.caFile.empty());
    }
    if (_config.heloName.empty()) _config.heloName = Poco::Environment::nodeName();
}

SmtpSender::~SmtpSender() = default;

SendResult SmtpSender::send(const OutboxMessage& m) {
    SendResult r;
    const std::string to = mailtoAddress(m.url);
    if (!isPlausibleAddress(to)) {
        r.error = "bad_address";
        r.permanent = true;
        return r;
    }
    try {
        Poco::Net::SecureSMTPClientSession session(_config.host, static_cast<Poco::UInt16>(_config.port));
        session.setTimeout(Poco::Timespan(_config.timeoutSeconds, 0));
        session.open(); // reads the greeting
        std::string caps;
        int status = ehlo(session, _config.heloName, caps);
        if ((status / 100 != 2)) {
            r.httpStatus = status;
            r.error = "ehlo: " + scrub(caps, _config.password);
            r.permanent = status >= 500;
            return r;
        }
        bool tls = false;
        if (_config.starttls != "off" && offers(caps, "STARTTLS")) {
            if (!session.startTLS(_context)) {
                r.error = "starttls_refused";
                return r;
            }
            tls = true;
            status = ehlo(session, _config.heloName, caps);
            if ((status / 100 != 2)) {
                r.httpStatus = status;
                r.error = "ehlo: " + scrub(caps, _config.password);
                return r;
            }
        }
        if (_config.starttls == "required" && !tls) {
            r.error = "starttls_not_offered";
            session.close();
            return r;
        }
        if (!_config.user.empty()) {
            // Credentials only over TLS, unless TLS was turned off on purpose (relay on this host).
            if (!tls && _config.starttls != "off") {
                r.error = "auth_without_tls_refused";
                session.close();
                return r;
            }
            using LM = Poco::Net::SMTPClientSession::LoginMethod;
            LM method = offersAuth(caps, "PLAIN")      ? LM::AUTH_PLAIN
                        : offersAuth(caps, "LOGIN")    ? LM::AUTH_LOGIN
                        : offersAuth(caps, "CRAM-MD5") ? LM::AUTH_CRAM_MD5
                                                       : LM::AUTH_PLAIN;
            try {
                session.login(_config.heloName, method, _config.user, _config.password);
            } catch (const Poco::Net::SMTPException& e) {
                // Refused credentials: a configuration to fix, not a reason to drop the message.
                r.httpStatus = e.code();
                r.error = "auth_failed: " + scrub(e.displayText(), _config.password);
                return r;
            }
        }
        Poco::Net::SMTPClientSession::Recipients rcpt{to};
        session.sendAddresses(addressOf(_config.from), rcpt);
        session.sendData();
        std::istringstream data(m.body);
        session.sendMessage(data); // dot-stuffing and the final "." by Poco's MailOutputStream
        r.delivered = true;
        r.httpStatus = 250;
        try {
            session.close();
        } catch (const Poco::Exception&) {
            // Accepted already: a failing QUIT changes nothing.
        }
    } catch (const Poco::Net::SMTPException& e) {
        r.httpStatus = e.code();
        r.error = scrub(e.displayText(), _config.password);
        r.permanent = e.code() >= 500 && e.code() < 600;
    } catch (const Poco::Exception& e) {
        r.error = scrub(e.displayText(), _config.password);
    } catch (const std::exception& e) {
        r.error = scrub(e.what(), _config.password);
    }
    return r;
}

} // namespace passerelle::delivery
