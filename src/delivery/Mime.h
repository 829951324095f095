#pragma once
// Mime: one plain-text e-mail as the bytes an SMTP relay receives (RFC 5322
// + MIME). Subject and display names are RFC 2047 encoded words (UTF-8,
// base64) when they are not plain ASCII; the body is UTF-8 in
// quoted-printable (RFC 2045: lines of at most 76 characters, soft breaks).
// Lines end with CRLF. Dot-stuffing is the SMTP session's business, not this
// one's. Pure functions, thread-safe.
#include <cstdint>
#include <map>
#include <string>

namespace passerelle::delivery {

struct MailContent {
    std::string from;      // "Passerelle <noreply@example.org>" or "noreply@example.org"
    std::string to;        // one address
    std::string subject;   // UTF-8
    std::string body;      // UTF-8, lines separated by "\n"
    std::string messageId; // without the angle brackets: "mail_…@example.org"
    std::int64_t dateEpochSeconds = 0;
    std::map<std::string, std::string> extraHeaders; // ASCII values only (e.g. X-Passerelle-Kind)
};

// The whole message: headers, blank line, encoded body.
std::string composeMessage(const MailContent& mail);

// RFC 2047 "=?UTF-8?B?…?=" words (folded with CRLF + space) when `text` is
// not printable ASCII; `text` itself otherwise. `used`: the columns already
// taken on the first line ("Subject: " = 9), so that every line stays within
// 78 columns (RFC 5322 §2.1.1).
std::string encodeHeaderWords(const std::string& text, std::size_t used = 0);
// Quoted-printable of UTF-8 text, "\n" line ends becoming CRLF.
std::string quotedPrintable(const std::string& text);
// RFC 5322 date: "Tue, 01 Dec 2026 23:59:00 +0000".
std::string rfc5322Date(std::int64_t epochSeconds);
// The address part of "Name <addr>" (or the whole string, trimmed).
std::string addressOf(const std::string& mailbox);
// The domain of an address ("example.org"), "localhost" when none.
std::string domainOf(const std::string& address);
// A plausible single address: one '@', no spaces, no control characters, no angle brackets, ≤ 254 bytes.
bool isPlausibleAddress(const std::string& address);

} // namespace passerelle::delivery
