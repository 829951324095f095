#include "forms/Json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>
#include <system_error>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace passerelle::forms {

namespace {

using Poco::Dynamic::Var;

std::string hexByte(unsigned char c) {
    static const char* hex = "0123456789ABCDEF";
    return std::string("0x") + hex[c >> 4] + hex[c & 0xF];
}

std::string escapeSegment(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out.push_back(c);
    }
    return out;
}

// Thrown inside the reader only; never escapes parseJson.
struct Fault {
    std::size_t offset;
    std::string rule;
    std::string message;
    std::string pointer; // of the value being read when it was thrown
};

class Reader {
public:
    Reader(const std::string& text, const JsonLimits& limits) : _s(text), _limits(limits) {}

    Var document() {
        if (_s.compare(0, 3, "\xEF\xBB\xBF") == 0) _i = 3; // UTF-8 byte order mark: skipped
        skipBlanks();
        if (_i >= _s.size()) fail("empty", "le texte est vide (un objet JSON { … } est attendu)");
        Var v = value(0);
        skipBlanks();
        if (_i < _s.size()) fail("trailing", "texte en trop après la fin du JSON (" + describeHere() + ")");
        return v;
    }

private:
    // One step of the path to the value being read: a member's key (owned by the frame of
    // object(), which outlives the step) or an element's index. The JSON pointer is only
    // spelled out when a fault is thrown.
    struct Step {
        const std::string* key;
        std::size_t index;
    };
    const std::string& _s;
    const JsonLimits& _limits;
    std::size_t _i = 0;
    std::vector<Step> _path;
    std::size_t _values = 0;

    std::string pointer() const {
        std::string out;
        for (const Step& step : _path) {
            out.push_back('/');
            if (step.key) out += escapeSegment(*step.key);
            else out += std::to_string(step.index);
        }
        return out;
    }
    [[noreturn]] void fail(const std::string& rule, const std::string& message) { throw Fault{_i, rule, message, pointer()}; }
    [[noreturn]] void failAt(std::size_t at, const std::string& rule, const std::string& message) {
        throw Fault{at, rule, message, pointer()};
    }

    std::string describeHere() const {
        if (_i >= _s.size()) return "fin du texte";
        unsigned char c = static_cast<unsigned char>(_s[_i]);
        if (c >= 0x21 && c < 0x7F) return std::string("« ") + static_cast<char>(c) + " »";
        return "octet " + hexByte(c);
    }

    void skipBlanks() {
        while (_i < _s.size() && (_s[_i] == ' ' || _s[_i] == '\t' || _s[_i] == '\n' || _s[_i] == '\r')) ++_i;
    }

    void expect(char c, const char* what) {
        skipBlanks();
        if (_i >= _s.size() || _s[_i] != c) fail("syntax", std::string(what) + " attendu, trouvé " + describeHere());
        ++_i;
    }

    Var value(std::size_t depth) {
        skipBlanks();
        if (_i >= _s.size()) fail("syntax", "valeur attendue, trouvé fin du texte");
        if (++_values > _limits.maxValues)
            fail("too_many_values", "plus de " + std::to_string(_limits.maxValues) +
                                        " valeurs dans le document (limite du service) : envoyez-le en plusieurs fois");
        char c = _s[_i];
        if (c == '{') return object(depth + 1);
        if (c == '[') return array(depth + 1);
        if (c == '"') return Var(string());
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        if (literal("true")) return Var(true);
        if (literal("false")) return Var(false);
        if (literal("null")) return Var();
        fail("syntax", "valeur attendue (objet, liste, texte, nombre, true, false ou null), trouvé " + describeHere());
    }

    bool literal(const char* word) {
        std::size_t n = std::char_traits<char>::length(word);
        if (_s.compare(_i, n, word) != 0) return false;
        _i += n;
        return true;
    }

    Var object(std::size_t depth) {
        if (depth > _limits.maxDepth)
            fail("depth", "imbrication trop profonde (au plus " + std::to_string(_limits.maxDepth) + " niveaux)");
        ++_i; // '{'
        Poco::JSON::Object::Ptr obj = new Poco::JSON::Object;
        skipBlanks();
        if (_i < _s.size() && _s[_i] == '}') { ++_i; return obj; }
        for (;;) {
            skipBlanks();
            if (_i >= _s.size() || _s[_i] != '"')
                fail("syntax", "nom de clé entre guillemets attendu, trouvé " + describeHere());
            std::size_t keyAt = _i;
            std::string key = string();
            if (obj->has(key)) {
                const std::string here = pointer();
                failAt(keyAt, "duplicate_key",
                       "clé « " + key + " » en double dans l'objet " + (here.empty() ? "racine" : here) +
                           " (chaque clé ne doit figurer qu'une fois)");
            }
            expect(':', "« : »");
            _path.push_back({&key, 0});
            Var v = value(depth);
            _path.pop_back();
            obj->set(key, v);
            skipBlanks();
            if (_i < _s.size() && _s[_i] == ',') { ++_i; continue; }
            if (_i < _s.size() && _s[_i] == '}') { ++_i; return obj; }
            fail("syntax", "« , » ou « } » attendu, trouvé " + describeHere());
        }
    }

    Var array(std::size_t depth) {
        if (depth > _limits.maxDepth)
            fail("depth", "imbrication trop profonde (au plus " + std::to_string(_limits.maxDepth) + " niveaux)");
        ++_i; // '['
        Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
        skipBlanks();
        if (_i < _s.size() && _s[_i] == ']') { ++_i; return arr; }
        for (std::size_t n = 0;; ++n) {
            _path.push_back({nullptr, n});
            Var v = value(depth);
            _path.pop_back();
            arr->add(v);
            skipBlanks();
            if (_i < _s.size() && _s[_i] == ',') { ++_i; continue; }
            if (_i < _s.size() && _s[_i] == ']') { ++_i; return arr; }
            fail("syntax", "« , » ou « ] » attendu, trouvé " + describeHere());
        }
    }

    static void append(std::string& out, char32_t cp) {
        if (cp < 0x80) out.push_back(static_cast<char>(cp));
        else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    unsigned hex4() {
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            if (_i >= _s.size()) fail("syntax", "séquence \\u incomplète : quatre chiffres hexadécimaux attendus");
            char c = _s[_i];
            unsigned d = c >= '0' && c <= '9' ? unsigned(c - '0')
                         : c >= 'a' && c <= 'f' ? unsigned(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? unsigned(c - 'A' + 10) : 16u;
            if (d == 16) fail("syntax", "séquence \\u invalide : chiffre hexadécimal attendu, trouvé " + describeHere());
            v = v * 16 + d;
            ++_i;
        }
        return v;
    }

    // One UTF-8 sequence starting at _i (a lead byte >= 0x80), checked and copied.
    void utf8(std::string& out) {
        const std::size_t at = _i;
        unsigned char c = static_cast<unsigned char>(_s[_i]);
        std::size_t n;
        char32_t cp;
        char32_t min;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
        else failAt(at, "utf8", "texte mal encodé : l'octet " + hexByte(c) + " n'est pas de l'UTF-8 valide");
        for (std::size_t k = 1; k <= n; ++k) {
            if (at + k >= _s.size()) failAt(at, "utf8", "texte mal encodé : séquence UTF-8 tronquée à la fin du texte");
            unsigned char d = static_cast<unsigned char>(_s[at + k]);
            if ((d & 0xC0) != 0x80)
                failAt(at, "utf8", "texte mal encodé : séquence UTF-8 incomplète (octet " + hexByte(c) + " suivi de " +
                                       hexByte(d) + ")");
            cp = (cp << 6) | (d & 0x3F);
        }
        if (cp < min) failAt(at, "utf8", "texte mal encodé : forme UTF-8 trop longue (non canonique)");
        if (cp >= 0xD800 && cp <= 0xDFFF)
            failAt(at, "surrogate", "texte mal encodé : demi-codet de substitution (U+D800–U+DFFF) encodé en UTF-8");
        if (cp > 0x10FFFF) failAt(at, "utf8", "texte mal encodé : point de code au-delà de U+10FFFF");
        out.append(_s, at, n + 1);
        _i = at + n + 1;
    }

    std::string string() {
        ++_i; // opening quote
        std::string out;
        for (;;) {
            if (_i >= _s.size()) fail("syntax", "texte non terminé : guillemet fermant attendu");
            unsigned char c = static_cast<unsigned char>(_s[_i]);
            if (c == '"') { ++_i; return out; }
            if (c < 0x20)
                fail("control_character", "caractère de contrôle " + hexByte(c) +
                                              " non échappé dans un texte (écrire \\n, \\t ou \\u00XX)");
            if (c >= 0x80) { utf8(out); continue; }
            if (c != '\\') { // a run of plain ASCII up to the next quote, escape, control or non-ASCII byte
                std::size_t end = _i + 1;
                while (end < _s.size()) {
                    const auto d = static_cast<unsigned char>(_s[end]);
                    if (d == '"' || d == '\\' || d < 0x20 || d >= 0x80) break;
                    ++end;
                }
                out.append(_s, _i, end - _i);
                _i = end;
                continue;
            }
            const std::size_t escAt = _i;
            ++_i;
            if (_i >= _s.size()) fail("syntax", "séquence d'échappement incomplète");
            char e = _s[_i++];
            switch (e) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                unsigned u = hex4();
                if (u >= 0xDC00 && u <= 0xDFFF)
                    failAt(escAt, "surrogate", "demi-codet de substitution isolé (\\u" + hexText(u) +
                                                   " sans demi-codet haut avant lui)");
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (_s.compare(_i, 2, "\\u") != 0)
                        failAt(escAt, "surrogate", "demi-codet de substitution isolé (\\u" + hexText(u) +
                                                       " non suivi d'un demi-codet bas \\uDC00–\\uDFFF)");
                    _i += 2;
                    unsigned low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF)
                        failAt(escAt, "surrogate", "demi-codet de substitution isolé (\\u" + hexText(u) +
                                                       " suivi de \\u" + hexText(low) + ")");
                    append(out, 0x10000 + ((char32_t(u) - 0xD800) << 10) + (char32_t(low) - 0xDC00));
                } else {
                    append(out, u);
                }
                break;
            }
            default:
                failAt(escAt, "syntax", std::string("séquence d'échappement inconnue « \\") +
                                            (static_cast<unsigned char>(e) < 0x80 && e >= 0x20 ? std::string(1, e) : hexByte(e)) + " »");
            }
        }
    }

    static std::string hexText(unsigned u) {
        static const char* hex = "0123456789ABCDEF";
        std::string s;
        for (int shift = 12; shift >= 0; shift -= 4) s.push_back(hex[(u >> shift) & 0xF]);
        return s;
    }

    Var number() {
        const std::size_t start = _i;
        auto digits = [&] {
            std::size_t n = 0;
            while (_i < _s.size() && _s[_i] >= '0' && _s[_i] <= '9') { ++_i; ++n; }
            return n;
        };
        bool negative = false;
        if (_s[_i] == '-') { negative = true; ++_i; }
        if (_i >= _s.size() || !(_s[_i] >= '0' && _s[_i] <= '9'))
            fail("syntax", "chiffre attendu après « - », trouvé " + describeHere());
        if (_s[_i] == '0') {
            ++_i;
            if (_i < _s.size() && _s[_i] >= '0' && _s[_i] <= '9')
                failAt(start, "syntax", "nombre invalide : pas de zéro en tête (écrire 7, pas 07)");
        } else {
            digits();
        }
        bool integer = true;
        if (_i < _s.size() && _s[_i] == '.') {
            ++_i;
            if (digits() == 0) fail("syntax", "chiffre attendu après le point décimal, trouvé " + describeHere());
            integer = false;
        }
        if (_i < _s.size() && (_s[_i] == 'e' || _s[_i] == 'E')) {
            ++_i;
            if (_i < _s.size() && (_s[_i] == '+' || _s[_i] == '-')) ++_i;
            if (digits() == 0) fail("syntax", "chiffre attendu dans l'exposant, trouvé " + describeHere());
            integer = false;
        }
        const char* first = _s.data() + start;
        const char* last = _s.data() + _i;
        if (integer) {
            std::int64_t v = 0;
            auto r = std::from_chars(first, last, v);
            if (r.ec == std::errc() && r.ptr == last) {
                if (v == 0 && negative) return Var(-0.0); // "-0": not the integer 0
                return Var(static_cast<Poco::Int64>(v));
            }
            // Too large for 64 bits: kept as a double, refused later as out of bounds.
        }
        double d = 0;
        auto r = std::from_chars(first, last, d);
        if (r.ec == std::errc::result_out_of_range || (r.ec == std::errc() && !std::isfinite(d)))
            failAt(start, "number_range", "nombre « " + std::string(first, last) + " » hors des limites représentables");
        if (r.ec != std::errc() || r.ptr != last) failAt(start, "syntax", "nombre invalide « " + std::string(first, last) + " »");
        return Var(d);
    }
};

// Line (from 1) and column (from 1, in characters) of byte `offset`.
std::pair<std::size_t, std::size_t> lineColumn(const std::string& s, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t k = 0; k < offset && k < s.size(); ++k) {
        unsigned char c = static_cast<unsigned char>(s[k]);
        if (c == '\n') { ++line; column = 1; }
        else if ((c & 0xC0) != 0x80) ++column;
    }
    return {line, column};
}

} // namespace

Result<Poco::Dynamic::Var> parseJson(const std::string& text, const JsonLimits& limits) {
    Reader reader(text, limits);
    try {
        return reader.document();
    } catch (const Fault& f) {
        auto [line, column] = lineColumn(text, f.offset);
        std::string where = "ligne " + std::to_string(line) + ", colonne " + std::to_string(column) + " (octet " +
                            std::to_string(f.offset) + ")";
        std::string message = "JSON invalide, " + where + " : " + f.message + ".";
        return Status::invalidArgument("json_invalid", message, {{f.pointer, f.rule, message}});
    }
}

} // namespace passerelle::forms
