#include "robustness/FuzzSupport.h"

#include <algorithm>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "common/Text.h"
#include "support/TestSupport.h"

namespace passerelle::testing {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::uint64_t Prng::next() {
    std::uint64_t z = (_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

namespace {

struct Slot {
    Var container; // Object::Ptr or Array::Ptr
    std::string key;
    unsigned index = 0;
    std::string path;
};

void collectSlots(const Var& v, const std::string& path, std::vector<Slot>& out) {
    if (v.type() == typeid(Object::Ptr)) {
        auto o = v.extract<Object::Ptr>();
        for (const auto& k : o->getNames()) {
            out.push_back({v, k, 0, path + "/" + k});
            collectSlots(o->get(k), path + "/" + k, out);
        }
    } else if (v.type() == typeid(Array::Ptr)) {
        auto a = v.extract<Array::Ptr>();
        for (unsigned i = 0; i < a->size(); ++i) {
            out.push_back({v, "", i, path + "/" + std::to_string(i)});
            collectSlots(a->get(i), path + "/" + std::to_string(i), out);
        }
    }
}

Object::Ptr objectOf(const Slot& s) { return s.container.extract<Object::Ptr>(); }
Array::Ptr arrayOf(const Slot& s) { return s.container.extract<Array::Ptr>(); }

std::string words(std::size_t chars, bool oneWord) {
    static const char* const kWords[] = {"logement", "ménage", "bailleur", "accompagnement", "loyer", "Œuvre", "été"};
    std::string s;
    std::size_t n = 0, i = 0;
    while (n < chars) {
        std::string w = oneWord ? "x" : std::string(kWords[i++ % 7]);
        if (!oneWord && n > 0) { s += ' '; ++n; }
        s += w;
        n += text::length(w);
    }
    return s;
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Hostile replacement values, as raw JSON text.
std::string hostileValue(Prng& rng, std::string& what) {
    static const char* const kRaw[] = {
        // retyped
        "42", "true", "\"texte\"", "{}", "[]", "null", "\"\"", "\"   \"", "[null]", "[{}]", "{\"a\": {}}", "-1",
        // control characters, escaped and raw
        "\"a\\u0001b\"", "\"\\u007f\"", "\"\\u0085fin\"", "\"ligne\\nsuite\"", "\"\\t\"", "\"\\u0000\"", "\"x\\u2028y\"",
        "\"\\u200b\"", "\"\\ufeff\"",
        // invalid UTF-8 bytes (raw)
        "\"\xff\xfe\"", "\"caf\xc3\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"",
        // surrogates escaped in JSON
        "\"\\ud800\"", "\"x\\udc00y\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\udfff\\ud800\"",
        // numbers at the edges
        "1e999", "-1e999", "-0", "1e-400", "123456789012345678901234567890", "-9223372036854775809",
        "9223372036854775807", "18446744073709551616", "1.005", "0.1", "-0.0", "9007199254740993", "1E2", "0.000001",
        // strings that look like numbers or dates
        "\"1e999\"", "\"NaN\"", "\"Infinity\"", "\"2026-02-30\"", "\"0000-00-00\"", "\"9999-12-31\"", "\"1 234,567\"",
        "\"-0,00\"", "\"€\"",
    };
    constexpr std::size_t kRawCount = sizeof kRaw / sizeof kRaw[0];
    std::size_t pick = rng.below(kRawCount + 7);
    if (pick < kRawCount) { what = kRaw[pick]; if (what.size() > 40) what = what.substr(0, 40); return kRaw[pick]; }
    switch (pick - kRawCount) {
    case 0: { static const std::size_t kLen[] = {201, 6001, 20001, 120000}; std::size_t n = kLen[rng.below(4)];
              what = "words(" + std::to_string(n) + ")"; return "\"" + words(n, false) + "\""; }
    case 1: { static const std::size_t kLen[] = {600, 6001, 20001}; std::size_t n = kLen[rng.below(3)];
              what = "oneword(" + std::to_string(n) + ")"; return "\"" + words(n, true) + "\""; }
    case 2: { static const std::size_t kDepth[] = {10, 127, 129, 400, 20000}; std::size_t d = kDepth[rng.below(5)];
              what = "nested(" + std::to_string(d) + ")"; return nested(d); }
    case 3: { std::size_t n = 700 + rng.below(300); what = "array of " + std::to_string(n) + " {}";
              std::string s = "["; for (std::size_t i = 0; i < n; ++i) s += i ? ",{}" : "{}"; return s + "]"; }
    case 4: { std::size_t n = 500 + rng.below(500); what = "array of " + std::to_string(n) + " strings";
              std::string s = "["; for (std::size_t i = 0; i < n; ++i) s += i ? ",\"v\"" : "\"v\""; return s + "]"; }
    case 5: what = "nulls"; return "[null, null, {\"x\": null}]";
    default: what = "emoji"; return "\"Nguyễn 😀 Łódź\"";
    }
}

} // namespace

Mutant mutate(const std::string& original, Prng& rng) {
    Poco::JSON::Parser parser;
    Var root = parser.parse(original);
    Mutant m;
    std::vector<std::pair<std::string, std::string>> placeholders; // quoted placeholder -> raw text
    std::size_t count = 1 + rng.below(3);
    for (std::size_t k = 0; k < count; ++k) {
        std::vector<Slot> slots;
        collectSlots(root, "", slots);
        if (slots.empty()) break;
        const Slot& s = slots[rng.below(slots.size())];
        const bool inObject = s.container.type() == typeid(Object::Ptr);
        const std::string token = "@@FUZZ" + std::to_string(k) + "@@";
        unsigned op = static_cast<unsigned>(rng.below(10));
        if (op == 0 && inObject) {
            objectOf(s)->remove(s.key);
            m.applied.push_back("drop " + s.path);
        } else if (op == 1) {
            // Duplicate: an array element many times (over any maxItems), or a member's value under a sibling's name.
            if (!inObject) {
                auto a = arrayOf(s);
                Var item = a->get(s.index);
                std::size_t n = 150 + rng.below(600);
                for (std::size_t i = 0; i < n; ++i) a->add(item);
                m.applied.push_back("duplicate " + s.path + " x" + std::to_string(n));
            } else {
                auto o = objectOf(s);
                auto names = o->getNames();
                const std::string& other = names[rng.below(names.size())];
                o->set(other, o->get(s.key));
                m.applied.push_back("copy " + s.path + " onto sibling " + other);
            }
        } else if (op == 2 && inObject) {
            // Unknown member with a hostile name.
            static const char* const kKeys[] = {"\"a/b~c\"", "\"\"", "\"\\u0000\"", "\"\xff\"", "\"~1\"", "\"\\ud800\""};
            const char* key = kKeys[rng.below(6)];
            const std::string keyToken = "@@KEY" + std::to_string(k) + "@@";
            objectOf(s)->set(keyToken, Var(std::string("x")));
            placeholders.push_back({"\"" + keyToken + "\"", key});
            m.applied.push_back(std::string("unknown key ") + key + " in " + s.path);
        } else if (op == 3 && inObject) {
            objectOf(s)->set(s.key, Var());
            m.applied.push_back("null " + s.path);
        } else {
            std::string what;
            std::string raw = hostileValue(rng, what);
            if (inObject) objectOf(s)->set(s.key, Var(token));
            else arrayOf(s)->set(s.index, Var(token));
            placeholders.push_back({"\"" + token + "\"", raw});
            m.applied.push_back("replace " + s.path + " by " + what);
        }
    }
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(root, out);
    m.json = out.str();
    for (const auto& [ph, raw] : placeholders) {
        for (std::size_t pos = 0; (pos = m.json.find(ph, pos)) != std::string::npos; pos += raw.size())
            m.json.replace(pos, ph.size(), raw);
    }
    return m;
}

bool isJsonPointer(const std::string& p) {
    if (p.empty()) return true;
    if (p[0] != '/' || !text::isValidUtf8(p)) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i] == '~' && (i + 1 >= p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
    return true;
}

bool resolvesIn(const Object::Ptr& root, const std::string& pointer, bool* parentIsObject) {
    std::vector<std::string> parts;
    for (std::size_t start = 1; start <= pointer.size() && !pointer.empty();) {
        std::size_t slash = pointer.find('/', start);
        std::string raw = pointer.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        std::string seg;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size()) { seg += raw[i + 1] == '1' ? '/' : '~'; ++i; }
            else seg += raw[i];
        }
        parts.push_back(seg);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    Var cur = root;
    if (parentIsObject) *parentIsObject = parts.empty();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parentIsObject && i + 1 == parts.size()) *parentIsObject = cur.type() == typeid(Object::Ptr);
        if (cur.type() == typeid(Object::Ptr)) {
            auto o = cur.extract<Object::Ptr>();
            if (!o->has(parts[i])) return false;
            cur = o->get(parts[i]);
        } else if (cur.type() == typeid(Array::Ptr)) {
            auto a = cur.extract<Array::Ptr>();
            const std::string& s = parts[i];
            if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
            unsigned idx = static_cast<unsigned>(std::stoul(s));
            if (idx >= a->size()) return false;
            cur = a->get(idx);
        } else {
            return false;
        }
    }
    return true;
}

} // namespace passerelle::testing
