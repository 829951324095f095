#include "http/HttpParse.h"

#include <algorithm>
#include <cctype>

namespace passerelle::http {

namespace {

bool isTokenChar(unsigned char c) {
    if (std::isalnum(c)) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
    }
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

HeadParse fail(int status, const char* code, std::string message) {
    HeadParse p;
    p.state = HeadParse::State::Error;
    p.status = status;
    p.error = code;
    p.message = std::move(message);
    return p;
}

HeadParse badRequest(std::string message) { return fail(400, "bad_request", std::move(message)); }

// True when the comma-separated list `value` holds `token` (case-insensitive).
bool listHas(const std::string& value, const char* token) {
    std::string v = lower(value);
    std::size_t start = 0;
    while (start <= v.size()) {
        std::size_t end = v.find(',', start);
        if (end == std::string::npos) end = v.size();
        if (trim(std::string_view(v).substr(start, end - start)) == token) return true;
        start = end + 1;
    }
    return false;
}

} // namespace

HeadParse parseHead(std::string_view buffer, const HeadLimits& limits, RequestHead& head) {
    // Tolerate empty lines before a request (RFC 9112 §2.2).
    std::size_t skip = 0;
    while (skip + 1 < buffer.size() && buffer[skip] == '\r' && buffer[skip + 1] == '\n') skip += 2;
    std::string_view b = buffer.substr(skip);
    std::size_t lineEnd = b.find("\r\n");
    if (lineEnd == std::string_view::npos) {
        if (b.size() > limits.maxRequestLineBytes)
            return fail(414, "uri_too_long", "Ligne de requête trop longue (maximum " + std::to_string(limits.maxRequestLineBytes) + " octets).");
        return {};
    }
    if (lineEnd > limits.maxRequestLineBytes)
        return fail(414, "uri_too_long", "Ligne de requête trop longue (maximum " + std::to_string(limits.maxRequestLineBytes) + " octets).");
    std::size_t end = b.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (b.size() > limits.maxHeaderBytes)
            return fail(431, "headers_too_large", "En-têtes de requête trop volumineux (maximum " + std::to_string(limits.maxHeaderBytes) + " octets).");
        // Count the complete header lines already received, to stop early.
        int lines = static_cast<int>(std::count(b.begin(), b.end(), '\n')) - 1;
        if (lines > limits.maxHeaderCount)
            return fail(431, "too_many_headers", "Trop d'en-têtes de requête (maximum " + std::to_string(limits.maxHeaderCount) + ").");
        return {};
    }
    if (end + 4 > limits.maxHeaderBytes)
        return fail(431, "headers_too_large", "En-têtes de requête trop volumineux (maximum " + std::to_string(limits.maxHeaderBytes) + " octets).");

    // Request line: method SP target SP HTTP/1.x
    head = RequestHead{};
    std::string_view line = b.substr(0, lineEnd);
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return badRequest("Ligne de requête invalide (attendu : MÉTHODE /adresse HTTP/1.1).");
    std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
    if (method.empty() || !std::all_of(method.begin(), method.end(), [](char c) { return isTokenChar(static_cast<unsigned char>(c)); }))
        return badRequest("Méthode de requête invalide.");
    if (target.empty() || target.front() != '/' ||
        std::any_of(target.begin(), target.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
        return badRequest("Adresse de requête invalide.");
    if (version == "HTTP/1.1") head.minorVersion = 1;
    else if (version == "HTTP/1.0") head.minorVersion = 0;
    else return badRequest("Version HTTP non prise en charge (HTTP/1.1 attendu).");
    head.method = std::string(method);
    head.target = std::string(target);

    // Header fields.
    int count = 0;
    std::size_t pos = lineEnd + 2;
    while (pos < end + 2) {
        std::size_t e = b.find("\r\n", pos);
        std::string_view field = b.substr(pos, e - pos);
        pos = e + 2;
        if (++count > limits.maxHeaderCount)
            return fail(431, "too_many_headers", "Trop d'en-têtes de requête (maximum " + std::to_string(limits.maxHeaderCount) + ").");
        if (!field.empty() && (field.front() == ' ' || field.front() == '\t'))
            return badRequest("En-tête replié sur plusieurs lignes : non accepté.");
        std::size_t colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0) return badRequest("En-tête de requête invalide (attendu : Nom: valeur).");
        std::string_view name = field.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), [](char c) { return isTokenChar(static_cast<unsigned char>(c)); }))
            return badRequest("Nom d'en-tête invalide.");
        std::string_view value = trim(field.substr(colon + 1));
        if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; }))
            return badRequest("Valeur d'en-tête invalide.");
        std::string key = lower(name);
        auto it = head.headers.find(key);
        if (it == head.headers.end()) head.headers.emplace(std::move(key), std::string(value));
        else if (key == "content-length") {
            if (it->second != value) return badRequest("En-têtes Content-Length contradictoires.");
        } else {
            it->second += ", ";
            it->second += value;
        }
    }

    // Framing of the body (RFC 9112 §6).
    auto te = head.headers.find("transfer-encoding");
    auto cl = head.headers.find("content-length");
    if (te != head.headers.end()) {
        if (cl != head.headers.end()) return badRequest("Content-Length et Transfer-Encoding ensemble : requête refusée.");
        if (lower(trim(te->second)) != "chunked")
            return badRequest("Transfer-Encoding non pris en charge (seul « chunked » l'est).");
        head.chunked = true;
    } else if (cl != head.headers.end()) {
        const std::string& v = cl->second;
        if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return badRequest("Content-Length invalide : « " + v.substr(0, 40) + " ».");
        head.contentLength = std::stoll(v);
    }
    auto conn = head.headers.find("connection");
    if (head.minorVersion == 0) head.keepAlive = conn != head.headers.end() && listHas(conn->second, "keep-alive");
    else head.keepAlive = conn == head.headers.end() || !listHas(conn->second, "close");
    auto expect = head.headers.find("expect");
    if (expect != head.headers.end()) head.expectContinue = lower(trim(expect->second)) == "100-continue";

    HeadParse ok;
    ok.state = HeadParse::State::Complete;
    ok.headBytes = skip + end + 4;
    return ok;
}

ChunkedDecoder::Result ChunkedDecoder::feed(std::string& in, std::string& out) {
    std::size_t pos = 0;
    Result result = Result::NeedMore;
    while (result == Result::NeedMore) {
        if (_step == Step::Size) {
            std::size_t e = in.find("\r\n", pos);
            if (e == std::string::npos) {
                if (in.size() - pos > 1024) { _error = "Taille de bloc (chunked) invalide."; result = Result::Error; }
                break;
            }
            std::string_view line(in.data() + pos, e - pos);
            std::size_t semi = line.find(';'); // chunk extensions are ignored
            std::string_view hex = trim(line.substr(0, semi));
            if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
                _error = "Taille de bloc (chunked) invalide.";
                result = Result::Error;
                break;
            }
            _left = std::stoull(std::string(hex), nullptr, 16);
            pos = e + 2;
            _step = _left == 0 ? Step::Trailer : Step::Data;
        } else if (_step == Step::Data) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(_left, in.size() - pos));
            out.append(in, pos, n);
            pos += n;
            _left -= n;
            if (_left > 0) break;
            _step = Step::DataEnd;
        } else if (_step == Step::DataEnd) {
            if (in.size() - pos < 2) break;
            if (in.compare(pos, 2, "\r\n") != 0) { _error = "Bloc (chunked) mal terminé."; result = Result::Error; break; }
            pos += 2;
            _step = Step::Size;
        } else { // Trailer fields, ignored, up to the empty line.
            std::size_t e = in.find("\r\n", pos);
            if (e == std::string::npos) {
                if (in.size() - pos > 8192) { _error = "Champs de fin (chunked) trop longs."; result = Result::Error; }
                break;
            }
            bool empty = e == pos;
            pos = e + 2;
            if (empty) result = Result::Done;
        }
    }
    in.erase(0, pos);
    return result;
}

} // namespace passerelle::http
