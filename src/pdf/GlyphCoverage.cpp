#include "pdf/GlyphCoverage.h"

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "common/Text.h"
#include "pdf/Bidi.h"

namespace passerelle::pdf {

namespace {

// A TrueType font's Unicode character map (the 'cmap' table, format 4 subtable for the BMP),
// read from the file. Only what is needed to answer "is there a glyph for this code point".
class CharMap {
public:
    static CharMap load(const std::string& path) {
        CharMap m;
        std::ifstream in(path, std::ios::binary);
        std::stringstream buf;
        buf << in.rdbuf();
        m._font = buf.str();
        m._format4 = m.findFormat4();
        return m;
    }
    bool valid() const { return _format4 != 0; }

    bool hasGlyph(char32_t cp) const {
        if (!valid() || cp > 0xFFFF) return false;
        const std::size_t t = _format4;
        const unsigned segCount = u16(t + 6) / 2;
        const std::size_t ends = t + 14, starts = ends + 2 * segCount + 2, deltas = starts + 2 * segCount,
                          offsets = deltas + 2 * segCount;
        // Segments are sorted by end code: binary search for the first end >= cp.
        unsigned lo = 0, hi = segCount;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (u16(ends + 2 * mid) < cp) lo = mid + 1; else hi = mid;
        }
        if (lo == segCount) return false;
        const unsigned start = u16(starts + 2 * lo);
        if (cp < start) return false;
        const unsigned delta = u16(deltas + 2 * lo), rangeOffset = u16(offsets + 2 * lo);
        unsigned glyph;
        if (rangeOffset == 0) {
            glyph = (cp + delta) & 0xFFFF;
        } else {
            std::size_t at = offsets + 2 * lo + rangeOffset + 2 * (cp - start);
            if (at + 2 > _font.size()) return false;
            glyph = u16(at);
            if (glyph != 0) glyph = (glyph + delta) & 0xFFFF;
        }
        return glyph != 0;
    }

private:
    std::string _font;
    std::size_t _format4 = 0; // offset of the format 4 subtable; 0: none

    unsigned u16(std::size_t at) const {
        if (at + 2 > _font.size()) return 0;
        return (static_cast<unsigned char>(_font[at]) << 8) | static_cast<unsigned char>(_font[at + 1]);
    }
    std::size_t u32(std::size_t at) const { return (static_cast<std::size_t>(u16(at)) << 16) | u16(at + 2); }

    std::size_t findFormat4() const {
        if (_font.size() < 12) return 0;
        const unsigned numTables = u16(4);
        for (unsigned i = 0; i < numTables; ++i) {
            std::size_t rec = 12 + 16 * i;
            if (rec + 16 > _font.size()) return 0;
            if (_font.compare(rec, 4, "cmap") != 0) continue;
            const std::size_t cmap = u32(rec + 8);
            const unsigned subtables = u16(cmap + 2);
            for (unsigned k = 0; k < subtables; ++k) {
                std::size_t sub = cmap + 4 + 8 * k;
                unsigned platform = u16(sub), encoding = u16(sub + 2);
                std::size_t table = cmap + u32(sub + 4);
                // Windows Unicode BMP (3,1) or Unicode (0,3), format 4.
                if (((platform == 3 && encoding == 1) || platform == 0) && u16(table) == 4 && table + 14 < _font.size())
                    return table;
            }
        }
        return 0;
    }
};

struct Coverage {
    CharMap regular, bold;             // Liberation Sans
    CharMap arabicRegular, arabicBold; // Noto Sans Arabic
};

const Coverage& coverageOf(const std::string& fontsDir) {
    static std::mutex mutex;
    static std::map<std::string, Coverage> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(fontsDir);
    if (it == cache.end())
        it = cache.emplace(fontsDir, Coverage{CharMap::load(fontsDir + "/LiberationSans-Regular.ttf"),
                                              CharMap::load(fontsDir + "/LiberationSans-Bold.ttf"),
                                              CharMap::load(fontsDir + "/NotoSansArabic-Regular.ttf"),
                                              CharMap::load(fontsDir + "/NotoSansArabic-Bold.ttf")}).first;
    return it->second;
}

} // namespace

std::optional<char32_t> firstUndrawable(std::string_view utf8, const std::string& fontsDir) {
    // Control characters are never drawn (line breaks and tabs are laid out, not drawn).
    auto isControl = [](char32_t cp) { return (cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t') || (cp >= 0x7F && cp < 0xA0); };
    // The usual value (Windows-1252 text) is answered in one pass without allocating; the first
    // character outside Windows-1252 sends the text to the full check below.
    for (std::size_t i = 0; i < utf8.size();) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c >= 0x20 && c < 0x7F) { // printable ASCII, most of any text
            if (++i >= utf8.size()) return std::nullopt;
            continue;
        }
        const std::size_t n = text::sequenceLength(c);
        char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < n && i + k < utf8.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
        if (isControl(cp)) return cp;
        if (!text::toCp1252(cp)) break;
        i += n;
        if (i >= utf8.size()) return std::nullopt;
    }
    if (utf8.empty()) return std::nullopt;
    const auto cps = text::decode(utf8);
    bool cp1252 = true;
    for (char32_t cp : cps) {
        if (isControl(cp)) return cp;
        if (!text::toCp1252(cp)) cp1252 = false;
    }
    if (cp1252) return std::nullopt; // Helvetica, WinAnsiEncoding
    // Lines of this text may be drawn with Liberation Sans, regular or bold: every character needs its glyph.
    const Coverage& coverage = coverageOf(fontsDir);
    for (char32_t cp : cps) {
        if (cp == '\n' || cp == '\r' || cp == '\t') continue;
        if (bidi::isArabic(cp)) {
            // Arabic script is drawn shaped: the letter must have a glyph in each of its joining
            // forms (isolated, initial, medial, final), in both weights.
            const std::string l = text::encode(cp), tatweel = text::encode(0x0640);
            for (const std::string& context : {l, tatweel + l + tatweel, l + tatweel, tatweel + l})
                for (char32_t form : bidi::toVisual(context).text)
                    if (!coverage.arabicRegular.hasGlyph(form) || !coverage.arabicBold.hasGlyph(form)) return cp;
            continue;
        }
        if (!coverage.regular.hasGlyph(cp) || !coverage.bold.hasGlyph(cp)) return cp;
    }
    return std::nullopt;
}

} // namespace passerelle::pdf
