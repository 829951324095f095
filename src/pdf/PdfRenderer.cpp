#include "pdf/PdfRenderer.h"

#include "common/Deadline.h"

#include <hpdf.h>
#include <hpdf_doc.h>
#include <hpdf_objects.h>
#include <hpdf_conf.h>
#include <hpdf_font.h>
#include <hpdf_fontdef.h>
#include <hpdf_pages.h>
#include <hpdf_streams.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <fstream>
#include <memory>
#include <set>

#include "common/Text.h"
#include "pdf/Bidi.h"
#include "pdf/FontSubset.h"
#include "pdf/ToUnicodeFix.h"

namespace passerelle::pdf {

namespace {

// libharu calls this from inside its own functions: record the first error, never throw or longjmp.
struct ErrorState {
    HPDF_STATUS errorNo = 0;
    HPDF_STATUS detailNo = 0;
};

void onError(HPDF_STATUS errorNo, HPDF_STATUS detailNo, void* userData) noexcept {
    auto* state = static_cast<ErrorState*>(userData);
    if (state && state->errorNo == 0) {
        state->errorNo = errorNo;
        state->detailNo = detailNo;
    }
}

struct DocDeleter {
    void operator()(HPDF_Doc d) const { HPDF_Free(d); }
};
using DocPtr = std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, DocDeleter>;

// Which font draws a run of text.
enum class Face { Helvetica, Latin, Arabic };

// A piece of a line drawn with one font: Windows-1252 bytes for Helvetica, UTF-8 otherwise.
struct Run {
    Face face;
    std::string bytes;
    std::string utf8; // the same text in UTF-8 (drawing order), for backends that draw text as text
};

// A text that fits Windows-1252 converted on the stack (no allocation for the usual word or
// line), NUL-terminated for HPDF_Page_TextOut.
class Cp1252Text {
public:
    explicit Cp1252Text(std::string_view utf8) {
        char* out = _small;
        if (utf8.size() + 1 > sizeof _small) {
            _large.resize(utf8.size() + 1);
            out = _large.data();
        }
        // As text::toCp1252(), noting whether every character fits (fitsCp1252()).
        std::size_t n = 0;
        for (std::size_t i = 0; i < utf8.size();) {
            const auto c = static_cast<unsigned char>(utf8[i]);
            if (c < 0x80) { out[n++] = static_cast<char>(c); ++i; continue; }
            const std::size_t len = text::sequenceLength(c);
            char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
            for (std::size_t k = 1; k < len && i + k < utf8.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
            i += len;
            const auto b = text::toCp1252(cp);
            if (!b) _fits = false;
            out[n++] = static_cast<char>(b ? *b : '?');
        }
        _size = n;
        out[_size] = '\0';
        _data = out;
    }
    bool fits() const { return _fits; }
    const char* c_str() const { return _data; }
    HPDF_UINT size() const { return static_cast<HPDF_UINT>(_size); }

private:
    char _small[256];
    std::string _large;
    const char* _data = nullptr;
    std::size_t _size = 0;
    bool _fits = true;
};

// Splits a line into runs by script and font, in visual (drawing) order. Arabic-script text goes
// to the Arabic face (spaces between Arabic words stay in its run); other text to Helvetica when it
// fits Windows-1252 (unless every font must be embedded), else to the embedded Latin face.
std::vector<Run> segment(std::string_view utf8, bool embedAll, bool* rightToLeft) {
    std::vector<Run> runs;
    if (!bidi::hasRightToLeft(utf8)) {
        if (rightToLeft) *rightToLeft = false;
        bool helvetica = !embedAll && text::fitsCp1252(utf8);
        runs.push_back({helvetica ? Face::Helvetica : Face::Latin, helvetica ? text::utf8ToCp1252(utf8) : std::string(utf8),
                        std::string(utf8)});
        return runs;
    }
    bidi::VisualLine v = bidi::toVisual(utf8);
    if (rightToLeft) *rightToLeft = v.rightToLeft;
    std::string current;
    bool currentArabic = false;
    auto flush = [&] {
        if (current.empty()) return;
        if (currentArabic) runs.push_back({Face::Arabic, current, current});
        else if (!embedAll && text::fitsCp1252(current)) runs.push_back({Face::Helvetica, text::utf8ToCp1252(current), current});
        else runs.push_back({Face::Latin, current, current});
        current.clear();
    };
    for (std::size_t i = 0; i < v.text.size(); ++i) {
        char32_t cp = v.text[i];
        bool arabic = bidi::isArabic(cp);
        // A space between two Arabic-script characters belongs to their run.
        if (cp == ' ' && currentArabic && i + 1 < v.text.size() && bidi::isArabic(v.text[i + 1])) arabic = true;
        if (arabic != currentArabic) flush();
        currentArabic = arabic;
        current += text::encode(cp);
    }
    flush();
    return runs;
}

// The Windows-1252 (WinAnsi) character of each byte a single-byte embedded font may carry, 0 for
// the bytes it may not: undefined codes, DEL, and 0xA0/0xAD, which PDF readers map to the glyph
// names "space" and "hyphen" rather than to U+00A0/U+00AD.
const std::array<char32_t, 256>& winAnsiCodes() {
    static const std::array<char32_t, 256> table = [] {
        std::array<char32_t, 256> t{};
        for (char32_t cp = 0x20; cp < 0x2200; ++cp) {
            auto b = text::toCp1252(cp);
            if (b && *b >= 0x20 && t[*b] == 0) t[*b] = cp;
        }
        t[0x7F] = t[0xA0] = t[0xAD] = 0;
        return t;
    }();
    return table;
}

// The fonts of one document. Helvetica is always there; each embedded face (Latin or Arabic,
// regular or bold) is subset to the document's characters and loaded on first need only.
//
// An embedded face is a simple TrueType font with WinAnsiEncoding when the document uses few
// enough of its characters (at most ~215, the usual case): each character gets a byte, the subset's
// character map sends that byte's WinAnsi character to the character's glyph, and a ToUnicode map
// gives the text back. libharu then builds 256 widths instead of the 65 536-entry maps of a Type0
// font. Beyond that many characters the face is embedded as Type0 with UTF-8 (Identity-H).
const std::array<std::array<HPDF_UINT, 256>, 2>& helveticaWidths();
bool deflateChunks(const std::vector<std::string_view>& chunks, int level, std::string& packed);
bool setDeflated(HPDF_Dict dict, std::string_view packed);
bool deflateStream(HPDF_Dict dict, int level, std::string* packedOut = nullptr);

// Helvetica or Helvetica-Bold (w = 0, 1) in WinAnsiEncoding for this document. libharu would find
// each of the 224 bytes' widths by a linear search through the font's 315 glyph widths (70 000
// comparisons per font and document, a third of the layout's time): the search is given an empty
// list, and the widths are copied from the table read from libharu once per process.
HPDF_Font base14Helvetica(HPDF_Doc doc, int w) {
    const char* name = w == 1 ? "Helvetica-Bold" : "Helvetica";
    HPDF_FontDef def = HPDF_GetFontDef(doc, name);
    if (!def || def->type != HPDF_FONTDEF_TYPE_TYPE1 || !def->attr) return HPDF_GetFont(doc, name, "WinAnsiEncoding");
    auto* defAttr = static_cast<HPDF_Type1FontDefAttr>(def->attr);
    const HPDF_UINT count = defAttr->widths_count;
    defAttr->widths_count = 0;
    HPDF_Font font = HPDF_GetFont(doc, name, "WinAnsiEncoding");
    defAttr->widths_count = count;
    if (!font || !font->attr) return font;
    auto* fontAttr = static_cast<HPDF_FontAttr>(font->attr);
    const auto& widths = helveticaWidths()[w];
    for (unsigned b = 0; b < 256; ++b) fontAttr->widths[b] = static_cast<HPDF_INT16>(widths[b]);
    return font;
}

class FontBook {
public:
    FontBook(HPDF_Doc doc, const PdfOptions& options, std::set<char32_t> latin, std::set<char32_t> arabic)
        : _doc(doc), _options(options), _codePoints{std::move(latin), std::move(arabic)} {
        _helvetica[0] = base14Helvetica(doc, 0);
        _helvetica[1] = base14Helvetica(doc, 1);
        for (int f = 0; f < 2; ++f) assignBytes(f);
    }
    bool ok() const { return _helvetica[0] && _helvetica[1]; }

    // Once every page is drawn: each single-byte TrueType face gets its descriptor now, with the
    // subset HarfBuzz made as its font file, deflated at `level` like the pages, and its ToUnicode
    // map deflated the same way. False on error.
    bool finishEmbedded(int level) {
        for (int f = 0; f < 2; ++f)
            for (int w = 0; w < 2; ++w) {
                HPDF_Font font = _embedded[f][w];
                if (!font || !font->attr || static_cast<HPDF_FontAttr>(font->attr)->type != HPDF_FONT_TRUETYPE || !font->before_write_fn)
                    continue;
                if (!_subsets[f][w] || !addDescriptor(font, *_subsets[f][w], level)) return false;
                font->before_write_fn = nullptr; // the descriptor and its font file exist now
                // The map is the subset's (both follow from the same characters): deflated once.
                auto made = std::make_shared<SharedSubset::Derived>();
                made->key = std::string(1, static_cast<char>(level));
                if (deflateStream(static_cast<HPDF_Dict>(HPDF_Dict_GetItem(font, "ToUnicode", HPDF_OCLASS_DICT)), level, &made->value))
                    _subsets[f][w]->attach(SharedSubset::ToUnicode, std::move(made));
            }
        return true;
    }

    // nullptr after a failure (libharu's error state, or subsetFailed()).
    HPDF_Font font(Face face, layout::Font weight) {
        const int w = weight == layout::Font::Bold ? 1 : 0;
        if (face == Face::Helvetica) return _helvetica[w];
        const int f = face == Face::Arabic ? 1 : 0;
        if (!_embedded[f][w] && !_failed) load(f, w);
        return _embedded[f][w];
    }
    // The bytes that draw `run` with its font: as they are for Helvetica (already Windows-1252) and
    // Type0 (UTF-8); one byte per character for a single-byte face.
    std::string encode(const Run& run) const {
        if (run.face == Face::Helvetica) return run.bytes;
        const int f = run.face == Face::Arabic ? 1 : 0;
        if (!_single[f]) return run.bytes;
        std::string out;
        out.reserve(run.bytes.size());
        std::size_t i = 0;
        const std::string_view s = run.bytes;
        while (i < s.size()) {
            std::size_t n = text::sequenceLength(static_cast<unsigned char>(s[i]));
            auto cps = text::decode(s.substr(i, n));
            auto it = _byteOf[f].find(cps.empty() ? 0 : cps[0]);
            out.push_back(static_cast<char>(it == _byteOf[f].end() ? 0x20 : it->second));
            i += n;
        }
        return out;
    }
    bool embedded() const { return _anyEmbedded; }
    bool subsetFailed() const { return _failed; }
    const std::string& failedPath() const { return _failedPath; }

private:
    // Bytes for the characters of face f: printable ASCII keeps its own byte, the rest take the free
    // ones in order. Too many characters: the face will be Type0.
    void assignBytes(int f) {
        const auto& codes = winAnsiCodes();
        std::size_t capacity = 0;
        for (char32_t c : codes) capacity += c != 0;
        std::set<char32_t> cps = _codePoints[f];
        cps.insert(' ');
        if (cps.size() > capacity) return;
        std::vector<bool> taken(256, false);
        for (char32_t cp : cps)
            if (cp >= 0x20 && cp < 0x7F) { _byteOf[f][cp] = static_cast<unsigned char>(cp); taken[cp] = true; }
        unsigned next = 0x21;
        for (char32_t cp : cps) {
            if (cp >= 0x20 && cp < 0x7F) continue;
            while (next < 256 && (taken[next] || codes[next] == 0)) ++next;
            if (next >= 256) { _byteOf[f].clear(); return; }
            _byteOf[f][cp] = static_cast<unsigned char>(next);
            taken[next] = true;
        }
        _single[f] = true;
    }

    // The ToUnicode CMap of a single-byte face: each byte to its character (UTF-16BE). Runs of
    // consecutive bytes for consecutive characters (printable ASCII, always there, is one) are one
    // bfrange line; the others one bfchar line each, at most 100 lines per block as the CMap
    // format asks.
    std::string toUnicodeCMap(int f) const {
        std::string cmap =
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n";
        std::vector<std::pair<unsigned, char32_t>> entries;
        for (const auto& [cp, byte] : _byteOf[f]) entries.emplace_back(byte, cp);
        std::sort(entries.begin(), entries.end());
        struct Range { unsigned first, last; char32_t cp; };
        std::vector<Range> ranges, singles;
        for (std::size_t i = 0; i < entries.size();) {
            std::size_t j = i + 1;
            // a range's characters must not cross a multiple of 256 (only the last byte counts up)
            while (j < entries.size() && entries[j].first == entries[j - 1].first + 1 && entries[j].second == entries[j - 1].second + 1 &&
                   (entries[j].second & 0xFF) != 0)
                ++j;
            Range r{entries[i].first, entries[j - 1].first, entries[i].second};
            (j - i > 1 ? ranges : singles).push_back(r);
            i = j;
        }
        static const char kHex[] = "0123456789ABCDEF";
        auto hex = [&](unsigned v, int digits) {
            cmap += '<';
            for (int d = digits - 1; d >= 0; --d) cmap += kHex[(v >> (4 * d)) & 0xF];
            cmap += '>';
        };
        auto destination = [&](char32_t cp) { // UTF-16BE: a surrogate pair beyond the BMP
            if (cp < 0x10000) return hex(static_cast<unsigned>(cp), 4);
            const unsigned v = static_cast<unsigned>(cp) - 0x10000;
            hex(((0xD800u + (v >> 10)) << 16) | (0xDC00u + (v & 0x3FF)), 8);
        };
        for (std::size_t i = 0; i < ranges.size(); i += 100) {
            const std::size_t n = std::min<std::size_t>(100, ranges.size() - i);
            cmap += std::to_string(n) + " beginbfrange\n";
            for (std::size_t k = i; k < i + n; ++k) {
                hex(ranges[k].first, 2);
                cmap += ' ';
                hex(ranges[k].last, 2);
                cmap += ' ';
                destination(ranges[k].cp);
                cmap += '\n';
            }
            cmap += "endbfrange\n";
        }
        for (std::size_t i = 0; i < singles.size(); i += 100) {
            const std::size_t n = std::min<std::size_t>(100, singles.size() - i);
            cmap += std::to_string(n) + " beginbfchar\n";
            for (std::size_t k = i; k < i + n; ++k) {
                hex(singles[k].first, 2);
                cmap += ' ';
                destination(singles[k].cp);
                cmap += '\n';
            }
            cmap += "endbfchar\n";
        }
        return cmap + "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    }

    void load(int f, int w) {
        static const char* const kFiles[2][2] = {{"LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"},
                                                 {"NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"}};
        const std::string path = _options.fontsDir + "/" + kFiles[f][w];
        std::shared_ptr<const SharedSubset> subset;
        if (_single[f]) {
            std::vector<std::pair<char32_t, char32_t>> remap;
            for (const auto& [cp, byte] : _byteOf[f]) remap.emplace_back(winAnsiCodes()[byte], cp);
            subset = sharedSubsetRemapped(path, remap);
        } else if (std::string bytes = subsetFont(path, _codePoints[f]); !bytes.empty()) {
            auto made = std::make_shared<SharedSubset>(); // not shared: Type0 faces are rare, and large
            made->bytes = std::move(bytes);
            subset = std::move(made);
        }
        if (!subset) {
            _failed = true;
            _failedPath = path;
            return;
        }
        if (!_single[f] && !_utf) {
            HPDF_UseUTFEncodings(_doc);
            _utf = true;
        }
        const char* name = loadFromMemory(subset->bytes);
        if (!name) return;
        HPDF_Font font = HPDF_GetFont(_doc, name, _single[f] ? "WinAnsiEncoding" : "UTF-8");
        if (font && _single[f]) {
            HPDF_Dict stream = HPDF_DictStream_New(_doc->mmgr, _doc->xref);
            if (!stream) return;
            stream->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
            if (auto packed = subset->derived(SharedSubset::ToUnicode, std::string(1, static_cast<char>(_options.contentDeflateLevel)))) {
                if (!setDeflated(stream, packed->value)) return; // as a previous document with this subset wrote it
            } else {
                const std::string cmap = toUnicodeCMap(f);
                if (HPDF_Stream_Write(stream->stream, reinterpret_cast<const HPDF_BYTE*>(cmap.data()), static_cast<HPDF_UINT>(cmap.size())) != HPDF_OK)
                    return;
            }
            if (HPDF_Dict_Add(font, "ToUnicode", stream) != HPDF_OK) return;
        }
        _embedded[f][w] = font;
        if (font) _anyEmbedded = true;
        _subsets[f][w] = std::move(subset);
    }

    // The subset as one of the document's TrueType faces, embedded, read from memory. libharu 2.3.0
    // reads faces from files only, and a file costs a seek and a read for every glyph it copies
    // when saving. The face gets the next subset tag (HPDFAA, HPDFAB…) as libharu's own loader
    // gives it. Returns the face's name, nullptr on error (libharu's error state says which).
    const char* loadFromMemory(const std::string& bytes) {
        // One buffer larger than the file: no read or seek ever lands on a buffer's end.
        HPDF_Stream data = HPDF_MemStream_New(_doc->mmgr, static_cast<HPDF_UINT>(bytes.size() + 1));
        if (!data) return nullptr;
        if (HPDF_Stream_Write(data, reinterpret_cast<const HPDF_BYTE*>(bytes.data()), static_cast<HPDF_UINT>(bytes.size())) != HPDF_OK) {
            HPDF_Stream_Free(data);
            return nullptr;
        }
        HPDF_FontDef def = HPDF_TTFontDef_Load(_doc->mmgr, data, HPDF_TRUE); // owns the stream now
        if (!def) return nullptr;
        if (HPDF_FontDef known = HPDF_Doc_FindFontDef(_doc, def->base_font)) {
            HPDF_FontDef_Free(def);
            return known->base_font;
        }
        if (HPDF_List_Add(_doc->fontdef_list, def) != HPDF_OK) {
            HPDF_FontDef_Free(def);
            return nullptr;
        }
        HPDF_BYTE* tag = _doc->ttfont_tag;
        if (tag[0] == 0) {
            std::memcpy(tag, "HPDFAA", 6);
        } else {
            for (int i = 5; i >= 0; --i) { // the next tag, as an odometer over A–Z
                if (++tag[i] <= 'Z') break;
                tag[i] = 'A';
            }
        }
        HPDF_TTFontDef_SetTagName(def, reinterpret_cast<char*>(tag));
        return def->base_font;
    }

    // The FontDescriptor libharu's TrueType font writes before it is saved (the same entries, from
    // libharu's parse of the subset), with `subset.bytes`, the subset HarfBuzz made, as its font file,
    // the outlines of the glyphs never drawn emptied (keepGlyphs). libharu does the same reading
    // the glyphs back a few bytes at a time (0.4 M instructions for a name outside Windows-1252).
    bool addDescriptor(HPDF_Font font, const SharedSubset& subset, int level) {
        auto* attr = static_cast<HPDF_FontAttr>(font->attr);
        HPDF_FontDef def = attr->fontdef;
        if (!def || !def->attr || subset.bytes.empty()) return false;
        auto* parsed = static_cast<HPDF_TTFontDefAttr>(def->attr);
        if (!def->descriptor) {
            HPDF_Dict descriptor = HPDF_Dict_New(font->mmgr);
            if (!descriptor || HPDF_Xref_Add(attr->xref, descriptor) != HPDF_OK) return false; // the xref owns it
            HPDF_STATUS ret = HPDF_Dict_AddName(descriptor, "Type", "FontDescriptor");
            ret += HPDF_Dict_AddNumber(descriptor, "Ascent", def->ascent);
            ret += HPDF_Dict_AddNumber(descriptor, "Descent", def->descent);
            ret += HPDF_Dict_AddNumber(descriptor, "CapHeight", static_cast<HPDF_INT32>(def->cap_height));
            ret += HPDF_Dict_AddNumber(descriptor, "Flags", static_cast<HPDF_INT32>(def->flags));
            ret += HPDF_Dict_Add(descriptor, "FontBBox", HPDF_Box_Array_New(font->mmgr, def->font_bbox));
            ret += HPDF_Dict_AddName(descriptor, "FontName", parsed->base_font); // with its subset tag
            ret += HPDF_Dict_AddNumber(descriptor, "ItalicAngle", def->italic_angle);
            ret += HPDF_Dict_AddNumber(descriptor, "StemV", static_cast<HPDF_INT32>(def->stemv));
            ret += HPDF_Dict_AddNumber(descriptor, "XHeight", static_cast<HPDF_INT32>(def->x_height));
            HPDF_Dict data = HPDF_DictStream_New(font->mmgr, attr->xref);
            if (ret != HPDF_OK || !data) return false;
            // The font file depends on the subset, the glyphs drawn and the level only: a document
            // that drew the same glyphs of the same subset wrote it already.
            std::string key(1, static_cast<char>(level));
            if (parsed->glyph_tbl.flgs) key.append(reinterpret_cast<const char*>(parsed->glyph_tbl.flgs), parsed->num_glyphs);
            auto file = subset.derived(SharedSubset::FontFile, key);
            if (!file) {
                auto made = std::make_shared<SharedSubset::Derived>();
                const std::string kept = keepGlyphs(subset.bytes, parsed->glyph_tbl.flgs, parsed->num_glyphs);
                made->key = std::move(key);
                made->length = kept.size();
                if (!deflateChunks({kept}, level, made->value)) return false;
                subset.attach(SharedSubset::FontFile, made);
                file = std::move(made);
            }
            if (!setDeflated(data, file->value)) return false;
            ret += HPDF_Dict_AddNumber(data, "Length1", static_cast<HPDF_INT32>(file->length));
            ret += HPDF_Dict_Add(descriptor, "FontFile2", data);
            if (ret != HPDF_OK) return false;
            def->descriptor = descriptor;
        }
        return HPDF_Dict_Add(font, "FontDescriptor", def->descriptor) == HPDF_OK;
    }

    HPDF_Doc _doc;
    const PdfOptions& _options;
    std::shared_ptr<const SharedSubset> _subsets[2][2];
    std::set<char32_t> _codePoints[2]; // Latin, Arabic
    bool _single[2] = {false, false};
    std::map<char32_t, unsigned char> _byteOf[2];
    HPDF_Font _helvetica[2] = {nullptr, nullptr};
    HPDF_Font _embedded[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};
    bool _utf = false, _anyEmbedded = false, _failed = false;
    std::string _failedPath;
};

// Widths (in 1/1000 em) of the 256 WinAnsi bytes of Helvetica and Helvetica-Bold, as libharu
// measures them (HPDF_Font_TextWidth sums these per byte), read once per process from libharu's
// own base-14 metrics: measuring a Windows-1252 word is then one look-up per character, without
// converting it first.
const std::array<std::array<HPDF_UINT, 256>, 2>& helveticaWidths() {
    static const std::array<std::array<HPDF_UINT, 256>, 2> table = [] {
        std::array<std::array<HPDF_UINT, 256>, 2> t{};
        ErrorState err;
        DocPtr doc(HPDF_New(onError, &err));
        if (!doc) return t;
        const char* const names[2] = {"Helvetica", "Helvetica-Bold"};
        for (int w = 0; w < 2; ++w) {
            HPDF_Font font = HPDF_GetFont(doc.get(), names[w], "WinAnsiEncoding");
            if (!font) continue;
            for (unsigned b = 0; b < 256; ++b) {
                const HPDF_BYTE byte = static_cast<HPDF_BYTE>(b);
                t[w][b] = HPDF_Font_TextWidth(font, &byte, 1).width;
            }
        }
        return t;
    }();
    return table;
}

// Measures every string with the font it will be drawn with. Liberation Sans is metric-compatible
// with Helvetica, so lines that mix both stay aligned.
class HpdfMetrics : public layout::FontMetrics {
public:
    HpdfMetrics(FontBook& fonts, bool embedAll) : _fonts(fonts), _embedAll(embedAll) {}

    double width(std::string_view s, layout::Font f, double size) const override {
        if (s.empty()) return 0;
        if (!_embedAll) { // the common case, Windows-1252 text in Helvetica: one pass, no allocation
            const auto& widths = helveticaWidths()[f == layout::Font::Bold ? 1 : 0];
            HPDF_UINT sum = 0;
            bool cp1252 = true;
            for (std::size_t i = 0; i < s.size() && cp1252;) {
                const auto c = static_cast<unsigned char>(s[i]);
                if (c < 0x80) { sum += widths[c]; ++i; continue; }
                const std::size_t n = text::sequenceLength(c);
                char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
                for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
                const auto b = text::toCp1252(cp);
                if (b) sum += widths[*b];
                else cp1252 = false;
                i += n;
            }
            if (cp1252) return static_cast<double>(sum) * size / 1000.0;
        }
        double total = 0;
        for (const Run& r : segment(s, _embedAll, nullptr)) total += runWidth(r, f, size);
        return total;
    }
    double runWidth(const Run& r, layout::Font f, double size) const {
        const std::string bytes = _fonts.encode(r);
        return units(_fonts.font(r.face, f), bytes.data(), static_cast<HPDF_UINT>(bytes.size())) * size / 1000.0;
    }

private:
    static double units(HPDF_Font font, const char* bytes, HPDF_UINT n) {
        if (!font) return 0;
        return static_cast<double>(HPDF_Font_TextWidth(font, reinterpret_cast<const HPDF_BYTE*>(bytes), n).width);
    }
    FontBook& _fonts;
    bool _embedAll;
};

// The characters each embedded face must hold for this document: every character of text that
// will not be drawn in Helvetica, Arabic as shaped (each letter in all its joining forms, so that
// a word broken at any point still finds its glyphs). Printable ASCII is always in the Latin set
// (page numbers, the checkbox mark).
void collectCodePoints(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options,
                       std::set<char32_t>& latin, std::set<char32_t>& arabic, bool& needEmbedded) {
    needEmbedded = options.embedAllFonts;
    std::set<char32_t> arabicLetters;
    auto add = [&](std::string_view s) {
        if (s.empty() || (!options.embedAllFonts && text::fitsCp1252(s))) return;
        needEmbedded = true;
        if (!bidi::hasRightToLeft(s)) {
            for (char32_t cp : text::decode(s)) latin.insert(cp);
            return;
        }
        std::size_t start = 0;
        while (start <= s.size()) {
            std::size_t nl = s.find('\n', start);
            std::string_view line = s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
            for (char32_t cp : bidi::toVisual(line).text) (bidi::isArabic(cp) ? arabic : latin).insert(cp);
            for (char32_t cp : text::decode(line))
                if (bidi::isArabic(cp)) arabicLetters.insert(cp);
            if (nl == std::string_view::npos) break;
            start = nl + 1;
        }
    };
    for (std::string_view s : layout::allText(blocks, setup)) add(s);
    add(options.title);
    if (!needEmbedded) return;
    for (char32_t cp = 0x20; cp < 0x7F; ++cp) latin.insert(cp);
    const std::string tatweel = text::encode(0x0640);
    for (char32_t letter : arabicLetters) {
        const std::string l = text::encode(letter);
        for (const std::string& context : {tatweel + l + tatweel, l + tatweel, tatweel + l})
            for (char32_t cp : bidi::toVisual(context).text)
                if (bidi::isArabic(cp)) arabic.insert(cp);
    }
    if (!arabic.empty()) arabic.insert(' ');
}

// An Info dictionary string: ASCII as a literal string, anything else as UTF-16BE with its byte
// order mark (PDF 32000-1 §7.9.2.2), written as a hex string so that no byte needs escaping.
HPDF_STATUS setInfo(HPDF_Doc d, const char* key, const std::string& utf8) {
    bool ascii = true;
    for (unsigned char c : utf8) ascii = ascii && c >= 0x20 && c < 0x7F;
    if (ascii) return HPDF_Dict_Add(d->info, key, HPDF_String_New(d->mmgr, utf8.c_str(), nullptr));
    std::string be = "\xFE\xFF";
    for (char32_t cp : text::decode(utf8)) {
        if (cp < 0x20 || cp == 0x7F) cp = ' ';
        auto unit = [&be](unsigned u) { be.push_back(static_cast<char>(u >> 8)); be.push_back(static_cast<char>(u & 0xFF)); };
        if (cp > 0xFFFF) { cp -= 0x10000; unit(0xD800 + (cp >> 10)); unit(0xDC00 + (cp & 0x3FF)); }
        else unit(cp);
    }
    return HPDF_Dict_Add(d->info, key, HPDF_Binary_New(d->mmgr, reinterpret_cast<HPDF_BYTE*>(be.data()), static_cast<HPDF_UINT>(be.size())));
}

// One document being made: the libharu handle, its fonts, and the error state.
struct Session {
    ErrorState err;
    DocPtr doc;
    std::unique_ptr<FontBook> fonts;
    std::unique_ptr<HpdfMetrics> metrics;
    bool needEmbedded = false;
    int contentDeflateLevel = 1;

    Status failed(const char* step) const {
        char code[16];
        std::snprintf(code, sizeof code, "%04X", static_cast<unsigned>(err.errorNo));
        return Status::internal("pdf_error", std::string("Erreur libharu à l'étape « ") + step + " » (code 0x" + code +
                                                 ", détail " + std::to_string(err.detailNo) + ").");
    }
    Status fontFailed() const {
        return Status::internal("font_missing", "Police illisible ou impossible à extraire : " + fonts->failedPath() + ".");
    }

    Status open(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options) {
        std::set<char32_t> latin, arabic;
        collectCodePoints(blocks, setup, options, latin, arabic, needEmbedded);
        doc.reset(HPDF_New(onError, &err));
        if (!doc) return Status::internal("pdf_alloc", "Impossible de créer le document PDF.");
        HPDF_SetCompressionMode(doc.get(), HPDF_COMP_ALL);
        fonts = std::make_unique<FontBook>(doc.get(), options, std::move(latin), std::move(arabic));
        if (err.errorNo || !fonts->ok()) return failed("police");
        metrics = std::make_unique<HpdfMetrics>(*fonts, options.embedAllFonts);
        contentDeflateLevel = options.contentDeflateLevel;
        return Status::ok();
    }
};

} // namespace

Result<layout::Document> layOut(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options) {
    Session s;
    Status st = s.open(blocks, setup, options);
    if (!st.isOk()) return st;
    layout::Document laid = layout::paginate(blocks, setup, *s.metrics);
    if (s.fonts->subsetFailed()) return s.fontFailed();
    if (s.err.errorNo) return s.failed("chargement de la police");
    return laid;
}

Result<std::vector<PlacedPage>> place(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup,
                                      const PdfOptions& options) {
    Session s;
    Status st = s.open(blocks, setup, options);
    if (!st.isOk()) return st;
    layout::Document laid = layout::paginate(blocks, setup, *s.metrics);
    if (laid.pages.size() > options.maxPages)
        return Status::payloadTooLarge("document_too_large", "Le document compterait plus de " + std::to_string(options.maxPages) +
                                                                 " pages, la limite de ce service par document.");
    std::vector<PlacedPage> out;
    out.reserve(laid.pages.size());
    // Each text item split into runs exactly as Drawer::draw() does: one run for the usual
    // Windows-1252 line, runs by script otherwise, a right-to-left line right-aligned in its box.
    for (auto& page : laid.pages) {
        PlacedPage placed;
        placed.runs.resize(page.items.size());
        for (std::size_t i = 0; i < page.items.size(); ++i) {
            const layout::Item& it = page.items[i];
            if (it.kind != layout::Item::Kind::Text || it.text.empty()) continue;
            if (!options.embedAllFonts && text::fitsCp1252(it.text)) {
                placed.runs[i].push_back({it.x, s.metrics->width(it.text, it.font, it.size), it.text, false});
                continue;
            }
            bool rightToLeft = false;
            std::vector<Run> runs = segment(it.text, options.embedAllFonts, &rightToLeft);
            std::vector<double> widths;
            double total = 0;
            for (const Run& r : runs) total += widths.emplace_back(s.metrics->runWidth(r, it.font, it.size));
            double x = it.x;
            if (rightToLeft && it.boxWidth > total) x = it.x + it.boxWidth - total;
            for (std::size_t k = 0; k < runs.size(); ++k) {
                placed.runs[i].push_back({x, widths[k], runs[k].utf8, runs[k].face == Face::Arabic});
                x += widths[k];
            }
        }
        placed.page = std::move(page);
        out.push_back(std::move(placed));
    }
    if (s.fonts->subsetFailed()) return s.fontFailed();
    if (s.err.errorNo) return s.failed("chargement de la police");
    return out;
}

namespace {

// Draws pages as the layout hands them over (layout::PageSink): fills, then strokes, then all
// text in one text object; the running header and footer are added to each page at the end.
// The first failure is kept and the rest is skipped.
// 2000 → "2 000" (no-break space between groups), for messages.
std::string grouped(std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += "\u00a0";
        out += digits[i];
    }
    return out;
}

// A finished page's content stream, compressed at once rather than when the document is saved:
// a document of hundreds of pages would otherwise hold every page's operators uncompressed until
// then. The stream is deflated (zlib, at PdfOptions::contentDeflateLevel) into a new memory stream,
// the dictionary writes it as it is (filter none) and names its filter itself, in the place and
// form libharu gives it ("/Filter [ /FlateDecode ]" after /Length). Anything unexpected leaves
// the page as it is (libharu compresses it when saving).
HPDF_STATUS writeFlateFilter(HPDF_Dict, HPDF_Stream out) { return HPDF_Stream_WriteStr(out, "/Filter [ /FlateDecode ]\012"); }

// `chunks` deflated at `level` into `packed`. zlib's defaults (a 32 KB window, 64 KB of hash heads,
// 256 KB in all) are set up and cleared for every stream; a window no larger than the data finds
// the same matches in a page or a font subset of a few kilobytes, for a fraction of that.
bool deflateChunks(const std::vector<std::string_view>& chunks, int level, std::string& packed) {
    std::size_t size = 0;
    for (const auto& c : chunks) size += c.size();
    int windowBits = 9;
    while (windowBits < 15 && (std::size_t{1} << windowBits) < size) ++windowBits;
    const int memLevel = std::clamp(windowBits - 6, 1, 8);
    z_stream z{};
    if (deflateInit2(&z, std::clamp(level, 1, 9), Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY) != Z_OK) return false;
    packed.clear();
    unsigned char buf[16384];
    bool ok = true;
    for (std::size_t i = 0; i <= chunks.size() && ok; ++i) {
        const std::string_view data = i < chunks.size() ? chunks[i] : std::string_view();
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        z.avail_in = static_cast<uInt>(data.size());
        const int flush = i == chunks.size() ? Z_FINISH : Z_NO_FLUSH;
        int rc;
        do {
            z.next_out = buf;
            z.avail_out = sizeof buf;
            rc = deflate(&z, flush);
            if (rc == Z_STREAM_ERROR) { ok = false; break; }
            packed.append(reinterpret_cast<const char*>(buf), sizeof buf - z.avail_out);
        } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    }
    deflateEnd(&z);
    return ok;
}

// A stream object whose data are `packed`, already deflated: written as they are, with its /Filter.
bool setDeflated(HPDF_Dict dict, std::string_view packed) {
    HPDF_Stream dst = HPDF_MemStream_New(dict->mmgr, HPDF_STREAM_BUF_SIZ);
    if (!dst) return false;
    if (HPDF_Stream_Write(dst, reinterpret_cast<const HPDF_BYTE*>(packed.data()), static_cast<HPDF_UINT>(packed.size())) != HPDF_OK) {
        HPDF_Stream_Free(dst);
        return false;
    }
    if (dict->stream) HPDF_Stream_Free(dict->stream);
    dict->stream = dst;
    dict->filter = HPDF_STREAM_FILTER_NONE;
    dict->write_fn = writeFlateFilter;
    return true;
}

// Replaces a stream object's data by its deflated bytes at `level` (libharu compresses at its own
// level 6 when it writes): the stream is then written as is, with its /Filter. False if the stream
// is left as it was. `packedOut`, if given, receives the deflated bytes.
bool deflateStream(HPDF_Dict dict, int level, std::string* packedOut) {
    if (!dict || !dict->stream || dict->write_fn || dict->filter != HPDF_STREAM_FILTER_FLATE_DECODE ||
        dict->stream->type != HPDF_STREAM_MEMORY)
        return false;
    HPDF_Stream src = dict->stream;
    std::vector<std::string_view> chunks;
    const HPDF_UINT count = HPDF_MemStream_GetBufCount(src);
    for (HPDF_UINT i = 0; i < count; ++i) {
        HPDF_UINT len = 0;
        HPDF_BYTE* data = HPDF_MemStream_GetBufPtr(src, i, &len);
        chunks.emplace_back(reinterpret_cast<const char*>(data), len);
    }
    std::string packed;
    if (!deflateChunks(chunks, level, packed) || !setDeflated(dict, packed)) return false;
    if (packedOut) *packedOut = std::move(packed);
    return true;
}

void compressFinishedPage(HPDF_Page page, int level) {
    auto* attr = static_cast<HPDF_PageAttr>(page->attr);
    HPDF_Dict contents = attr ? attr->contents : nullptr;
    if (!contents || contents->stream != attr->stream || attr->gmode != HPDF_GMODE_PAGE_DESCRIPTION) return;
    if (deflateStream(contents, level)) attr->stream = contents->stream; // nothing is drawn on the page any more
}

// A coordinate for a content stream, rounded to a thousandth of a point: no trailing zeros, never
// an exponent (12.5, -171.838, 0). Returns the value written.
double appendNumber(std::string& out, double v) {
    long long m = std::llround(v * 1000.0);
    const double written = static_cast<double>(m) / 1000.0;
    if (m < 0) {
        out += '-';
        m = -m;
    }
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, m / 1000).ptr;
    out.append(digits, static_cast<std::size_t>(end - digits));
    if (int frac = static_cast<int>(m % 1000)) {
        char fraction[5] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10), 0};
        int len = 4;
        while (fraction[len - 1] == '0') --len;
        out.append(fraction, static_cast<std::size_t>(len));
    }
    return written;
}

// Single-byte text as a PDF literal string's content: parentheses and backslash escaped, bytes
// outside printable ASCII as three octal digits (as libharu writes them).
void appendEscaped(std::string& out, const char* text) {
    const char* plain = text; // the start of the run of bytes written as they are
    const char* c = text;
    for (; *c; ++c) {
        const auto b = static_cast<unsigned char>(*c);
        if (b >= 0x20 && b <= 0x7E && b != '(' && b != ')' && b != '\\') continue;
        out.append(plain, static_cast<std::size_t>(c - plain));
        if (b >= 0x20 && b <= 0x7E) {
            const char escaped[2] = {'\\', static_cast<char>(b)};
            out.append(escaped, 2);
        } else {
            const char octal[4] = {'\\', static_cast<char>('0' + (b >> 6)), static_cast<char>('0' + ((b >> 3) & 7)), static_cast<char>('0' + (b & 7))};
            out.append(octal, 4);
        }
        plain = c + 1;
    }
    out.append(plain, static_cast<std::size_t>(c - plain));
}

class Drawer : public layout::PageSink {
public:
    Drawer(Session& s, const layout::PageSetup& setup, bool embedAll, std::size_t maxPages)
        : _s(s), _setup(setup), _embedAll(embedAll), _maxPages(maxPages) {}

    void body(std::size_t index, layout::Page&& p) override {
        if (!_status.isOk() || Deadline::expired()) return; // the caller reports the time limit
        if (index >= _maxPages) {
            _status = Status::payloadTooLarge("document_too_large", "Le document compterait plus de " +
                                              grouped(_maxPages) +
                                              " pages, la limite de ce service par document.");
            return;
        }
        HPDF_Page page = HPDF_AddPage(_s.doc.get());
        if (!page || index != _pages.size()) { _status = _s.failed("page"); return; }
        HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(_setup.width));
        HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(_setup.height));
        _pages.push_back(page);
        const double H = _setup.height;
        for (const auto& it : p.items) // each signature party's box, for the signing engine (src/sign)
            if (it.signatureBox) _boxes.push_back({static_cast<int>(index), it.x, H - it.y - it.h, it.w, it.h});
        draw(page, p);
    }
    void running(std::size_t index, layout::Page&& p) override {
        if (!_status.isOk()) return;
        if (index >= _pages.size()) { _status = _s.failed("page"); return; }
        draw(_pages[index], p);
        if (_status.isOk() && !_s.err.errorNo) compressFinishedPage(_pages[index], _s.contentDeflateLevel); // the page is complete
    }
    const Status& status() const { return _status; }
    std::size_t pages() const { return _pages.size(); }
    const std::vector<SignatureBox>& signatureBoxes() const { return _boxes; }

private:
    void draw(HPDF_Page page, const layout::Page& p) {
        const double H = _setup.height;
        if (!drawGraphics(page, p)) return;
        HPDF_Page_BeginText(page);
        HPDF_Font current = nullptr;
        double currentSize = 0, currentGray = -1;
        auto use = [&](HPDF_Font f, double size, bool helvetica = false) {
            if (f != current || size != currentSize) {
                if (helvetica) setHelvetica(page, f, size);
                else HPDF_Page_SetFontAndSize(page, f, static_cast<HPDF_REAL>(size));
                current = f;
                currentSize = size;
            }
        };
        FontBook& fonts = *_s.fonts;
        for (const auto& it : p.items) {
            if (it.kind != layout::Item::Kind::Text || it.text.empty()) continue;
            if (it.gray != currentGray) {
                setTextGray(page, it.gray);
                currentGray = it.gray;
            }
            const HPDF_REAL y = static_cast<HPDF_REAL>(H - it.y);
            if (!_embedAll) { // the common case: one Helvetica run, converted in one pass on the stack
                Cp1252Text bytes(it.text);
                if (bytes.fits()) {
                    use(fonts.font(Face::Helvetica, it.font), it.size, /*helvetica=*/true);
                    showAt(page, it.x, H - it.y, bytes.c_str());
                    continue;
                }
            }
            bool rightToLeft = false;
            std::vector<Run> runs = segment(it.text, _embedAll, &rightToLeft);
            std::vector<double> widths;
            double total = 0;
            for (const Run& r : runs) total += widths.emplace_back(_s.metrics->runWidth(r, it.font, it.size));
            double x = it.x;
            if (rightToLeft && it.boxWidth > total) x = it.x + it.boxWidth - total;
            for (std::size_t k = 0; k < runs.size(); ++k) {
                HPDF_Font f = fonts.font(runs[k].face, it.font);
                if (!f) {
                    _status = fonts.subsetFailed() ? _s.fontFailed() : _s.failed("police Unicode");
                    HPDF_Page_EndText(page);
                    return;
                }
                use(f, it.size);
                HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(x), y, fonts.encode(runs[k]).c_str());
                x += widths[k];
            }
        }
        HPDF_Page_EndText(page);
        if (_s.err.errorNo) _status = _s.failed("dessin");
    }

    // "dx dy Td (text) Tj", as HPDF_Page_TextOut writes it, straight into the page's content stream.
    // TextOut also clears two 512-byte buffers byte by byte, measures the text to advance a text
    // position nothing here reads, and prints each number through a float; for a page of short
    // lines that is a third of the drawing. libharu's text matrix is kept in step, so that its own
    // TextOut (the embedded-font runs) can follow on the same line. Anything unexpected (outside a
    // text object, no font set) goes through TextOut, which reports it.
    void showAt(HPDF_Page page, double x, double y, const char* text) {
        auto* attr = static_cast<HPDF_PageAttr>(page->attr);
        HPDF_TransMatrix& tm = attr->text_matrix;
        if (attr->gmode != HPDF_GMODE_TEXT_OBJECT || !attr->gstate || !attr->gstate->font || tm.a != 1 || tm.b != 0 || tm.c != 0 ||
            tm.d != 1) {
            HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(x), static_cast<HPDF_REAL>(y), text);
            return;
        }
        std::string& out = _line;
        out.clear();
        // The matrix moves by what is written, so that rounding never adds up from line to line.
        const double dx = appendNumber(out, x - tm.x);
        out += ' ';
        const double dy = appendNumber(out, y - tm.y);
        out += " Td\012(";
        appendEscaped(out, text);
        out += ") Tj\012";
        if (HPDF_Stream_Write(attr->stream, reinterpret_cast<const HPDF_BYTE*>(out.data()), static_cast<HPDF_UINT>(out.size())) != HPDF_OK)
            return; // the error handler has recorded it
        tm.x = static_cast<HPDF_REAL>(tm.x + dx);
        tm.y = static_cast<HPDF_REAL>(tm.y + dy);
        attr->text_pos.x = tm.x;
        attr->text_pos.y = tm.y;
    }

    // The page's fills, then its strokes (0.5 pt), in one write to its content stream: the
    // operators HPDF_Page_SetGrayFill/SetRGBFill, Rectangle, Fill, SetLineWidth, SetGrayStroke,
    // MoveTo, LineTo and Stroke write, a colour only when it changes, without libharu's buffer
    // clearing per call. libharu's graphics state is left as those calls would leave it.
    bool drawGraphics(HPDF_Page page, const layout::Page& p) {
        auto* attr = static_cast<HPDF_PageAttr>(page->attr);
        if (attr->gmode != HPDF_GMODE_PAGE_DESCRIPTION || !attr->gstate) {
            _status = _s.failed("dessin");
            return false;
        }
        const double H = _setup.height;
        std::string& out = _line;
        out.clear();
        auto rect = [&](const layout::Item& it, const char* op) {
            appendNumber(out, it.x);
            out += ' ';
            appendNumber(out, H - it.y - it.h);
            out += ' ';
            appendNumber(out, it.w);
            out += ' ';
            appendNumber(out, it.h);
            out += " re\012";
            out += op;
        };
        double fillGray = attr->gstate->cs_fill == HPDF_CS_DEVICE_GRAY ? attr->gstate->gray_fill : -1;
        int fillRgb = -1;
        for (const auto& it : p.items) {
            if (it.kind != layout::Item::Kind::FilledBox) continue;
            if (it.rgb >= 0) { // chart bars and legend swatches (layout/Chart.cpp)
                if (it.rgb != fillRgb) {
                    for (int shift : {16, 8, 0}) {
                        appendNumber(out, ((it.rgb >> shift) & 0xFF) / 255.0);
                        out += ' ';
                    }
                    out += "rg\012";
                    fillRgb = it.rgb;
                    fillGray = -1;
                }
            } else if (it.gray != fillGray) {
                appendNumber(out, it.gray);
                out += " g\012";
                fillGray = it.gray;
                fillRgb = -1;
            }
            rect(it, "f\012");
        }
        out += "0.5 w\012";
        double strokeGray = -1;
        for (const auto& it : p.items) {
            if (it.kind != layout::Item::Kind::Line && it.kind != layout::Item::Kind::Box) continue;
            if (it.gray != strokeGray) {
                appendNumber(out, it.gray);
                out += " G\012";
                strokeGray = it.gray;
            }
            if (it.kind == layout::Item::Kind::Box) {
                rect(it, "S\012");
                continue;
            }
            appendNumber(out, it.x);
            out += ' ';
            appendNumber(out, H - it.y);
            out += " m\012";
            appendNumber(out, it.x + it.w);
            out += ' ';
            appendNumber(out, H - it.y - it.h);
            out += " l\012S\012";
        }
        if (HPDF_Stream_Write(attr->stream, reinterpret_cast<const HPDF_BYTE*>(out.data()), static_cast<HPDF_UINT>(out.size())) != HPDF_OK) {
            _status = _s.failed("dessin");
            return false;
        }
        HPDF_GState g = attr->gstate;
        g->line_width = 0.5;
        if (fillRgb >= 0) {
            g->cs_fill = HPDF_CS_DEVICE_RGB;
            g->rgb_fill = {static_cast<HPDF_REAL>(((fillRgb >> 16) & 0xFF) / 255.0), static_cast<HPDF_REAL>(((fillRgb >> 8) & 0xFF) / 255.0),
                           static_cast<HPDF_REAL>((fillRgb & 0xFF) / 255.0)};
        } else if (fillGray >= 0) {
            g->cs_fill = HPDF_CS_DEVICE_GRAY;
            g->gray_fill = static_cast<HPDF_REAL>(fillGray);
        }
        if (strokeGray >= 0) {
            g->cs_stroke = HPDF_CS_DEVICE_GRAY;
            g->gray_stroke = static_cast<HPDF_REAL>(strokeGray);
        }
        return true;
    }

    // "/F1 10 Tf" and "0.25 g" for the text, written as HPDF_Page_SetFontAndSize and
    // HPDF_Page_SetGrayFill write them (the font registered in the page's resources by libharu
    // itself), without their buffer clearing; libharu's graphics state is kept in step. Helvetica
    // only (horizontal, as the state's default writing mode); anything unexpected goes through
    // libharu, which reports it.
    void setHelvetica(HPDF_Page page, HPDF_Font font, double size) {
        auto* attr = static_cast<HPDF_PageAttr>(page->attr);
        const char* name = attr->gmode == HPDF_GMODE_TEXT_OBJECT && attr->gstate && size > 0 && size <= HPDF_MAX_FONTSIZE
                               ? HPDF_Page_GetLocalFontName(page, font)
                               : nullptr;
        if (!name || std::strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != std::strlen(name)) {
            HPDF_Page_SetFontAndSize(page, font, static_cast<HPDF_REAL>(size));
            return;
        }
        std::string& out = _line;
        out.assign("/").append(name).append(" ");
        appendNumber(out, size);
        out += " Tf\012";
        if (HPDF_Stream_Write(attr->stream, reinterpret_cast<const HPDF_BYTE*>(out.data()), static_cast<HPDF_UINT>(out.size())) != HPDF_OK)
            return;
        attr->gstate->font = font;
        attr->gstate->font_size = static_cast<HPDF_REAL>(size);
    }
    void setTextGray(HPDF_Page page, double gray) {
        auto* attr = static_cast<HPDF_PageAttr>(page->attr);
        if (attr->gmode != HPDF_GMODE_TEXT_OBJECT || !attr->gstate || gray < 0 || gray > 1) {
            HPDF_Page_SetGrayFill(page, static_cast<HPDF_REAL>(gray));
            return;
        }
        std::string& out = _line;
        out.clear();
        appendNumber(out, gray);
        out += " g\012";
        if (HPDF_Stream_Write(attr->stream, reinterpret_cast<const HPDF_BYTE*>(out.data()), static_cast<HPDF_UINT>(out.size())) != HPDF_OK)
            return;
        attr->gstate->gray_fill = static_cast<HPDF_REAL>(gray);
        attr->gstate->cs_fill = HPDF_CS_DEVICE_GRAY;
    }

    Session& _s;
    const layout::PageSetup& _setup;
    bool _embedAll;
    std::size_t _maxPages;
    std::vector<HPDF_Page> _pages;
    std::vector<SignatureBox> _boxes;
    Status _status;
    std::string _line; // showAt's scratch
};

} // namespace

Result<PdfResult> render(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options) {
    // Pass 1: which characters each embedded font must hold (none for Windows-1252 text).
    Session s;
    Status st = s.open(blocks, setup, options);
    if (!st.isOk()) return st;
    HPDF_Doc d = s.doc.get();
    FontBook& fonts = *s.fonts;

    // Pass 2: document information and catalog.
    HPDF_SetInfoAttr(d, HPDF_INFO_CREATOR, "Passerelle"); // creates the Info dictionary
    if (!options.title.empty()) setInfo(d, "Title", options.title);
    if (!options.subject.empty()) setInfo(d, "Subject", options.subject);
    setInfo(d, "Author", options.author);
    if (!options.lang.empty()) HPDF_Dict_Add(d->catalog, "Lang", HPDF_String_New(d->mmgr, options.lang.c_str(), nullptr));
    if (s.err.errorNo) return s.failed("informations du document");

    // Pass 3: layout with exact metrics (embedded fonts are subset and loaded on first need), each
    // page drawn as soon as it is laid out and then forgotten; running header and footer at the end.
    Drawer drawer(s, setup, options.embedAllFonts, options.maxPages);
    const std::size_t pages = layout::paginate(blocks, setup, *s.metrics, drawer);
    if (fonts.subsetFailed()) return s.fontFailed();
    if (!drawer.status().isOk()) return drawer.status();
    if (s.err.errorNo) return s.failed("chargement de la police");
    if (drawer.pages() != pages) return Status::internal("pdf_error", "Pages manquantes dans le document.");

    // Pass 5: serialise in memory.
    if (!fonts.finishEmbedded(s.contentDeflateLevel) || s.err.errorNo) return s.failed("enregistrement de la police");
    if (HPDF_SaveToStream(d) != HPDF_OK || s.err.errorNo) return s.failed("enregistrement");
    HPDF_UINT32 size = HPDF_GetStreamSize(d);
    if (size > options.maxBytes)
        return Status::payloadTooLarge("document_too_large",
                                       "Le document PDF dépasserait " +
                                           (options.maxBytes >= 1024 * 1024 ? grouped(options.maxBytes / (1024 * 1024)) + " Mo"
                                                                            : grouped(options.maxBytes / 1024) + " ko") +
                                           ", la limite de ce service par document.");
    PdfResult result;
    result.bytes.resize(size);
    HPDF_UINT32 read = 0;
    while (read < size) {
        HPDF_UINT32 chunk = size - read;
        HPDF_STATUS rs = HPDF_ReadFromStream(d, reinterpret_cast<HPDF_BYTE*>(&result.bytes[read]), &chunk);
        read += chunk;
        if (rs == HPDF_STREAM_EOF) break;
        if (rs != HPDF_OK) return s.failed("lecture du flux");
        if (chunk == 0) break;
    }
    if (read != size) return Status::internal("pdf_error", "Flux PDF incomplet.");
    if (fonts.embedded()) fixToUnicodeCMaps(result.bytes);
    result.pages = static_cast<int>(pages);
    result.embeddedFont = fonts.embedded();
    result.signatureBoxes = drawer.signatureBoxes();
    return result;
}

} // namespace passerelle::pdf
