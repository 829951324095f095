// Structure-aware mutation for the render harness: the input "<form>\n<json>" (seeds are
// the examples) is parsed, one value or list is replaced by something hostile, and the
// result is written back. Falls back to libFuzzer's byte mutation when the input does not
// parse. Mutations: random Unicode (several scripts), combining marks, right-to-left text,
// very long words, control characters, extreme numbers and dates, type swaps, tables
// past their limits (a row repeated up to 600 times).
#include <cstdint>
#include <cstring>
#include <sstream>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include "forms/Json.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t maxSize);

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        s += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return n ? static_cast<std::size_t>(next() % n) : 0; }
};

void utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) out.push_back(static_cast<char>(cp));
    else if (cp < 0x800) { out.push_back(static_cast<char>(0xC0 | (cp >> 6))); out.push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
    else if (cp < 0x10000) {
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

Var hostile(Rng& r, const Var& old) {
    static const std::pair<char32_t, char32_t> kScripts[] = {
        {0x20, 0x7E}, {0xA0, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x590, 0x5FF}, {0x600, 0x6FF},
        {0x900, 0x97F}, {0x3040, 0x30FF}, {0x4E00, 0x4FFF}, {0x1F300, 0x1F6FF}, {0xFFF0, 0xFFFD}};
    std::string s;
    switch (r.below(10)) {
    case 0: { // random Unicode
        auto [lo, hi] = kScripts[r.below(sizeof kScripts / sizeof kScripts[0])];
        for (std::size_t n = 1 + r.below(80); n; --n) utf8(s, lo + static_cast<char32_t>(r.below(hi - lo + 1)));
        return s;
    }
    case 1: // combining marks piled on a letter
        s = "e";
        for (std::size_t n = 1 + r.below(200); n; --n) utf8(s, 0x300 + static_cast<char32_t>(r.below(0x70)));
        return s;
    case 2: // right-to-left text and overrides
        utf8(s, r.below(2) ? 0x202E : 0x200F);
        s += "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D 123";
        utf8(s, 0x202C);
        return s;
    case 3: // a very long word
        return std::string(1000 + r.below(30000), "AWmi"[r.below(4)]);
    case 4: { // control characters
        static const char* kCtl[] = {"\x01", "\x07", "\x1b[31m", "\r\n", "\t", "\xC2\x85", "\xE2\x80\xA8", "\xEF\xBB\xBF"};
        return std::string("a") + kCtl[r.below(8)] + "b";
    }
    case 5: { // extreme numbers
        static const double kD[] = {1e308, -1e308, 5e-324, 0.001, 123456789.125, -0.0, 1e15, 4503599627370497.0};
        static const Poco::Int64 kI[] = {INT64_MAX, INT64_MIN, 0, -1, 2147483648LL, 99999999999LL};
        if (r.below(2)) return kD[r.below(8)];
        return kI[r.below(6)];
    }
    case 6: { // extreme or impossible dates
        static const char* kDates[] = {"0001-01-01", "9999-12-31", "2026-02-29", "1900-01-01", "2200-12-31", "2026-13-01",
                                       "2026-00-10", "+2026-01-01", "2026-1-1", "2028-02-29"};
        return std::string(kDates[r.below(10)]);
    }
    case 7: { // type swap
        switch (r.below(5)) {
        case 0: return Var();
        case 1: return Var(true);
        case 2: return Array::Ptr(new Array);
        case 3: return Object::Ptr(new Object);
        default: return std::string("");
        }
    }
    case 8: // numbers as text
        return std::string(r.below(2) ? "1 234,56 €" : "-0");
    default: // keep the old value in another type
        return old.isString() ? Var(static_cast<Poco::Int64>(old.extract<std::string>().size())) : Var(std::string("x"));
    }
}

// Every container slot (object member or array element), depth first.
struct Slot {
    Object::Ptr obj;
    Array::Ptr arr;
    std::string key;
    unsigned index = 0;
};

void collect(const Var& v, std::vector<Slot>& out, std::vector<Array::Ptr>& arrays, int depth) {
    if (depth > 20) return;
    if (v.type() == typeid(Object::Ptr)) {
        auto o = v.extract<Object::Ptr>();
        for (const auto& k : o->getNames()) {
            out.push_back({o, nullptr, k, 0});
            collect(o->get(k), out, arrays, depth + 1);
        }
    } else if (v.type() == typeid(Array::Ptr)) {
        auto a = v.extract<Array::Ptr>();
        arrays.push_back(a);
        for (unsigned i = 0; i < a->size(); ++i) {
            out.push_back({nullptr, a, "", i});
            collect(a->get(i), out, arrays, depth + 1);
        }
    }
}

} // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t maxSize, unsigned seed) {
    std::string in(reinterpret_cast<const char*>(data), size);
    std::string prefix;
    std::size_t nl = in.find('\n');
    if (nl != std::string::npos && nl < 64) {
        prefix = in.substr(0, nl + 1);
        in = in.substr(nl + 1);
    }
    auto parsed = passerelle::forms::parseJson(in);
    Rng r{seed};
    if (!parsed.isOk() || r.below(8) == 0) return LLVMFuzzerMutate(data, size, maxSize);
    Var root = parsed.value();
    std::vector<Slot> slots;
    std::vector<Array::Ptr> arrays;
    collect(root, slots, arrays, 0);
    if (slots.empty()) return LLVMFuzzerMutate(data, size, maxSize);
    for (std::size_t n = 1 + r.below(3); n; --n) {
        if (!arrays.empty() && r.below(6) == 0) {
            // A table past its limits: one row repeated.
            Array::Ptr a = arrays[r.below(arrays.size())];
            if (a->size() > 0) {
                Var row = a->get(0);
                for (std::size_t k = 1 + r.below(600); k; --k) a->add(row);
            }
            continue;
        }
        Slot& s = slots[r.below(slots.size())];
        if (s.obj) s.obj->set(s.key, hostile(r, s.obj->get(s.key)));
        else s.arr->set(s.index, hostile(r, s.arr->get(s.index)));
    }
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(root, out);
    std::string text = prefix + out.str();
    if (text.size() > maxSize) return LLVMFuzzerMutate(data, size, maxSize);
    std::memcpy(data, text.data(), text.size());
    return text.size();
}
