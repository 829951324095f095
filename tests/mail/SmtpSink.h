#pragma once
// A local SMTP sink for the e-mail tests: tests/support/smtp_sink.py (Debian's
// python3-aiosmtpd) started as a child process on a free port, killed by the
// destructor. Each accepted message is read back raw and as decoded by
// Python's own e-mail parser (subject, body, headers).
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/Process.h>

#include "support/TestSupport.h"

namespace passerelle::testing {

struct SinkMessage {
    std::string raw;                    // the bytes received after DATA
    Poco::JSON::Object::Ptr info;       // smtp_sink.py's JSON
    std::string subject() const { return info->getValue<std::string>("subject"); }
    std::string body() const;           // decoded, "\r\n" → "\n"
    std::string rcpt() const;           // the first RCPT TO
    bool tls() const { return info->getValue<bool>("tls"); }
    bool authenticated() const { return info->getValue<bool>("authenticated"); }
    std::string header(const std::string& name) const; // decoded value, "" when absent
    std::string allHeaders() const;     // "Name: value\n" for each, decoded
};

class SmtpSink {
public:
    // `extraArgs`: --refuse-first N, --tls-cert F --tls-key F, --require-tls, --auth U:P, --reject-all.
    explicit SmtpSink(const std::vector<std::string>& extraArgs = {});
    ~SmtpSink();
    unsigned short port() const { return _port; }
    std::vector<SinkMessage> messages() const;
    // Waits until at least `n` messages arrived (or `timeoutMs`); returns them.
    std::vector<SinkMessage> waitFor(std::size_t n, int timeoutMs = 10000) const;
    int refusedCount() const;

private:
    TempDir _dir;
    std::string _out;
    unsigned short _port = 0;
    Poco::ProcessHandle* _handle = nullptr;
};

// A self-signed certificate for "localhost" (and 127.0.0.1), made with the openssl tool: cert and key paths.
struct TestCertificate {
    explicit TestCertificate(const std::string& dir);
    std::string cert, key;
};

} // namespace passerelle::testing
