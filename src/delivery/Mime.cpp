#include "delivery/Mime.h"

#include <ctime>
#include <sstream>

#include <Poco/Base64Encoder.h>

namespace passerelle::delivery {

namespace {

const char* CRLF = "\r\n";

bool isPlainAscii(const std::string& s) {
    for (unsigned char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

std::string base64(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder enc(out);
    enc.rdbuf()->setLineLength(0);
    enc << bytes;
    enc.close();
    return out.str();
}

std::string trim(const std::string& s) {
    std::size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    std::size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

// "Name <addr>" with the name encoded when needed; a bare address stays bare.
std::string mailboxHeader(const std::string& mailbox) {
    const std::size_t lt = mailbox.find('<');
    if (lt == std::string::npos) return "<" + trim(mailbox) + ">";
    std::string name = trim(mailbox.substr(0, lt));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    const std::string addr = addressOf(mailbox);
    if (name.empty()) return "<" + addr + ">";
    bool atext = isPlainAscii(name);
    for (char c : name)
        if (c == '"' || c == '\\' || c == ',' || c == ';' || c == ':' || c == '@' || c == '<' || c == '>') atext = false;
    // An encoded name ends its line; the address follows on a folded one.
    return atext ? name + " <" + addr + ">" : encodeHeaderWords(name, 6) + "\r\n <" + addr + ">";
}

} // namespace

std::string encodeHeaderWords(const std::string& text, std::size_t used) {
    if (isPlainAscii(text)) return text;
    // Chunks of at most 45 bytes, never splitting a UTF-8 sequence (RFC 2047 §5:
    // each word holds whole characters): 12 + 60 characters per encoded word,
    // the first one shorter by the columns the header's name takes.
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t room = out.empty() && used > 0 ? (used < 60 ? (78 - 12 - 1 - used) / 4 * 3 : 3) : 45;
        std::size_t end = std::min(text.size(), i + std::min<std::size_t>(45, room));
        while (end < text.size() && end > i && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
        if (end == i) end = std::min(text.size(), i + room); // not UTF-8: cut anyway
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(text.substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

std::string quotedPrintable(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t nl = text.find('\n', start);
        std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        // One pass per source line: encode each byte, break softly before 76 columns.
        std::string encoded;
        std::size_t column = 0;
        for (std::size_t k = 0; k < line.size(); ++k) {
            const unsigned char c = static_cast<unsigned char>(line[k]);
            const bool last = k + 1 == line.size();
            std::string piece;
            if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) piece = std::string(1, char(c));
            else {
                piece = "=";
                piece += hex[c >> 4];
                piece += hex[c & 0xF];
            }
            if (column + piece.size() > 75) {
                encoded += "=\r\n";
                column = 0;
            }
            encoded += piece;
            column += piece.size();
        }
        out += encoded;
        if (nl == std::string::npos) break;
        out += CRLF;
        start = nl + 1;
    }
    return out;
}

std::string rfc5322Date(std::int64_t epochSeconds) {
    std::time_t t = static_cast<std::time_t>(epochSeconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char b[64];
    std::snprintf(b, sizeof b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return b;
}

std::string addressOf(const std::string& mailbox) {
    const std::size_t lt = mailbox.find('<');
    const std::size_t gt = mailbox.find('>', lt == std::string::npos ? 0 : lt);
    if (lt != std::string::npos && gt != std::string::npos) return trim(mailbox.substr(lt + 1, gt - lt - 1));
    return trim(mailbox);
}

std::string domainOf(const std::string& address) {
    const std::size_t at = address.rfind('@');
    if (at == std::string::npos || at + 1 >= address.size()) return "localhost";
    return address.substr(at + 1);
}

bool isPlausibleAddress(const std::string& a) {
    if (a.empty() || a.size() > 254) return false;
    const std::size_t at = a.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= a.size() || a.find('@', at + 1) != std::string::npos) return false;
    for (unsigned char c : a)
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' || c == '"' ||
            c == '\\')
            return false;
    return true;
}

std::string composeMessage(const MailContent& m) {
    std::string out;
    auto header = [&](const std::string& name, const std::string& value) { out += name + ": " + value + CRLF; };
    header("Date", rfc5322Date(m.dateEpochSeconds));
    header("From", mailboxHeader(m.from));
    header("To", "<" + addressOf(m.to) + ">");
    header("Subject", encodeHeaderWords(m.subject, 9));
    header("Message-ID", "<" + m.messageId + ">");
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=UTF-8");
    header("Content-Transfer-Encoding", "quoted-printable");
    header("Content-Language", "fr");
    // RFC 3834: an automatic message; vacation responders stay quiet.
    header("Auto-Submitted", "auto-generated");
    for (const auto& [name, value] : m.extraHeaders)
        if (isPlainAscii(value) && isPlainAscii(name) && name.find(':') == std::string::npos) header(name, value);
    out += CRLF;
    out += quotedPrintable(m.body);
    out += CRLF;
    return out;
}

} // namespace passerelle::delivery
