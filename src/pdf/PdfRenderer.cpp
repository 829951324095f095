#include "pdf/PdfRenderer.h"

#include <hpdf.h>
#include <hpdf_doc.h>
#include <hpdf_objects.h>

#include <cstdio>
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
        _size = text::toCp1252(utf8, out);
        out[_size] = '\0';
        _data = out;
    }
    const char* c_str() const { return _data; }
    HPDF_UINT size() const { return static_cast<HPDF_UINT>(_size); }

private:
    char _small[256];
    std::string _large;
    const char* _data = nullptr;
    std::size_t _size = 0;
};

// Splits a line into runs by script and font, in visual (drawing) order. Arabic-script text goes
// to the Arabic face (spaces between Arabic words stay in its run); other text to Helvetica when it
// fits Windows-1252 (unless every font must be embedded), else to the embedded Latin face.
std::vector<Run> segment(std::string_view utf8, bool embedAll, bool* rightToLeft) {
    std::vector<Run> runs;
    if (!bidi::hasRightToLeft(utf8)) {
        if (rightToLeft) *rightToLeft = false;
        bool helvetica = !embedAll && text::fitsCp1252(utf8);
        runs.push_back({helvetica ? Face::Helvetica : Face::Latin, helvetica ? text::utf8ToCp1252(utf8) : std::string(utf8)});
        return runs;
    }
    bidi::VisualLine v = bidi::toVisual(utf8);
    if (rightToLeft) *rightToLeft = v.rightToLeft;
    std::string current;
    bool currentArabic = false;
    auto flush = [&] {
        if (current.empty()) return;
        if (currentArabic) runs.push_back({Face::Arabic, current});
        else if (!embedAll && text::fitsCp1252(current)) runs.push_back({Face::Helvetica, text::utf8ToCp1252(current)});
        else runs.push_back({Face::Latin, current});
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

// The fonts of one document. Helvetica is always there; each embedded face (Latin or Arabic,
// regular or bold) is subset to the document's characters and loaded on first need only.
class FontBook {
public:
    FontBook(HPDF_Doc doc, const PdfOptions& options, std::set<char32_t> latin, std::set<char32_t> arabic)
        : _doc(doc), _options(options), _codePoints{std::move(latin), std::move(arabic)} {
        _helvetica[0] = HPDF_GetFont(doc, "Helvetica", "WinAnsiEncoding");
        _helvetica[1] = HPDF_GetFont(doc, "Helvetica-Bold", "WinAnsiEncoding");
    }
    bool ok() const { return _helvetica[0] && _helvetica[1]; }

    // nullptr after a failure (libharu's error state, or subsetFailed()).
    HPDF_Font font(Face face, layout::Font weight) {
        const int w = weight == layout::Font::Bold ? 1 : 0;
        if (face == Face::Helvetica) return _helvetica[w];
        const int f = face == Face::Arabic ? 1 : 0;
        if (!_embedded[f][w] && !_failed) load(f, w);
        return _embedded[f][w];
    }
    bool embedded() const { return _anyEmbedded; }
    bool subsetFailed() const { return _failed; }
    const std::string& failedPath() const { return _failedPath; }

private:
    void load(int f, int w) {
        static const char* const kFiles[2][2] = {{"LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"},
                                                 {"NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"}};
        const std::string path = _options.fontsDir + "/" + kFiles[f][w];
        std::string subset = subsetFont(path, _codePoints[f]);
        MemoryFile file(subset);
        if (subset.empty() || !file.ok()) {
            _failed = true;
            _failedPath = path;
            return;
        }
        if (!_utf) {
            HPDF_UseUTFEncodings(_doc);
            _utf = true;
        }
        // libharu keeps its own handle on the memory file (it reads glyphs again when saving).
        const char* name = HPDF_LoadTTFontFromFile(_doc, file.path().c_str(), HPDF_TRUE);
        if (name) _embedded[f][w] = HPDF_GetFont(_doc, name, "UTF-8");
        if (_embedded[f][w]) _anyEmbedded = true;
    }

    HPDF_Doc _doc;
    const PdfOptions& _options;
    std::set<char32_t> _codePoints[2]; // Latin, Arabic
    HPDF_Font _helvetica[2] = {nullptr, nullptr};
    HPDF_Font _embedded[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};
    bool _utf = false, _anyEmbedded = false, _failed = false;
    std::string _failedPath;
};

// Measures every string with the font it will be drawn with. Liberation Sans is metric-compatible
// with Helvetica, so lines that mix both stay aligned.
class HpdfMetrics : public layout::FontMetrics {
public:
    HpdfMetrics(FontBook& fonts, bool embedAll) : _fonts(fonts), _embedAll(embedAll) {}

    double width(std::string_view s, layout::Font f, double size) const override {
        if (s.empty()) return 0;
        if (!_embedAll && text::fitsCp1252(s)) { // the common case: no allocation
            Cp1252Text bytes(s);
            return units(_fonts.font(Face::Helvetica, f), bytes.c_str(), bytes.size()) * size / 1000.0;
        }
        double total = 0;
        for (const Run& r : segment(s, _embedAll, nullptr)) total += runWidth(r, f, size);
        return total;
    }
    double runWidth(const Run& r, layout::Font f, double size) const {
        return units(_fonts.font(r.face, f), r.bytes.data(), static_cast<HPDF_UINT>(r.bytes.size())) * size / 1000.0;
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

Result<PdfResult> render(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options) {
    // Pass 1: which characters each embedded font must hold (none for Windows-1252 text).
    Session s;
    Status st = s.open(blocks, setup, options);
    if (!st.isOk()) return st;
    HPDF_Doc d = s.doc.get();
    FontBook& fonts = *s.fonts;
    const bool embedAll = options.embedAllFonts;

    // Pass 2: layout with exact metrics (embedded fonts are subset and loaded on first need).
    layout::Document laid = layout::paginate(blocks, setup, *s.metrics);
    if (fonts.subsetFailed()) return s.fontFailed();
    if (s.err.errorNo) return s.failed("chargement de la police");

    // Pass 3: document information and catalog.
    HPDF_SetInfoAttr(d, HPDF_INFO_CREATOR, "Passerelle"); // creates the Info dictionary
    if (!options.title.empty()) setInfo(d, "Title", options.title);
    if (!options.subject.empty()) setInfo(d, "Subject", options.subject);
    setInfo(d, "Author", options.author);
    if (!options.lang.empty()) HPDF_Dict_Add(d->catalog, "Lang", HPDF_String_New(d->mmgr, options.lang.c_str(), nullptr));
    if (s.err.errorNo) return s.failed("informations du document");

    // Pass 4: draw each page: fills, then strokes, then all text in one text object.
    const double H = setup.height;
    for (const auto& p : laid.pages) {
        HPDF_Page page = HPDF_AddPage(d);
        if (!page) return s.failed("page");
        HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(setup.width));
        HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(setup.height));
        for (const auto& it : p.items) {
            if (it.kind != layout::Item::Kind::FilledBox) continue;
            HPDF_Page_SetGrayFill(page, static_cast<HPDF_REAL>(it.gray));
            HPDF_Page_Rectangle(page, static_cast<HPDF_REAL>(it.x), static_cast<HPDF_REAL>(H - it.y - it.h),
                                static_cast<HPDF_REAL>(it.w), static_cast<HPDF_REAL>(it.h));
            HPDF_Page_Fill(page);
        }
        HPDF_Page_SetLineWidth(page, 0.5);
        for (const auto& it : p.items) {
            if (it.kind == layout::Item::Kind::Line) {
                HPDF_Page_SetGrayStroke(page, static_cast<HPDF_REAL>(it.gray));
                HPDF_Page_MoveTo(page, static_cast<HPDF_REAL>(it.x), static_cast<HPDF_REAL>(H - it.y));
                HPDF_Page_LineTo(page, static_cast<HPDF_REAL>(it.x + it.w), static_cast<HPDF_REAL>(H - it.y - it.h));
                HPDF_Page_Stroke(page);
            } else if (it.kind == layout::Item::Kind::Box) {
                HPDF_Page_SetGrayStroke(page, static_cast<HPDF_REAL>(it.gray));
                HPDF_Page_Rectangle(page, static_cast<HPDF_REAL>(it.x), static_cast<HPDF_REAL>(H - it.y - it.h),
                                    static_cast<HPDF_REAL>(it.w), static_cast<HPDF_REAL>(it.h));
                HPDF_Page_Stroke(page);
            }
        }
        HPDF_Page_BeginText(page);
        HPDF_Font current = nullptr;
        double currentSize = 0, currentGray = -1;
        auto use = [&](HPDF_Font f, double size) {
            if (f != current || size != currentSize) {
                HPDF_Page_SetFontAndSize(page, f, static_cast<HPDF_REAL>(size));
                current = f;
                currentSize = size;
            }
        };
        for (const auto& it : p.items) {
            if (it.kind != layout::Item::Kind::Text || it.text.empty()) continue;
            if (it.gray != currentGray) {
                HPDF_Page_SetGrayFill(page, static_cast<HPDF_REAL>(it.gray));
                currentGray = it.gray;
            }
            const HPDF_REAL y = static_cast<HPDF_REAL>(H - it.y);
            if (!embedAll && text::fitsCp1252(it.text)) { // the common case: one Helvetica run
                use(fonts.font(Face::Helvetica, it.font), it.size);
                Cp1252Text bytes(it.text);
                HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(it.x), y, bytes.c_str());
                continue;
            }
            bool rightToLeft = false;
            std::vector<Run> runs = segment(it.text, embedAll, &rightToLeft);
            std::vector<double> widths;
            double total = 0;
            for (const Run& r : runs) total += widths.emplace_back(s.metrics->runWidth(r, it.font, it.size));
            double x = it.x;
            if (rightToLeft && it.boxWidth > total) x = it.x + it.boxWidth - total;
            for (std::size_t k = 0; k < runs.size(); ++k) {
                HPDF_Font f = fonts.font(runs[k].face, it.font);
                if (!f) return fonts.subsetFailed() ? s.fontFailed() : s.failed("police Unicode");
                use(f, it.size);
                HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(x), y, runs[k].bytes.c_str());
                x += widths[k];
            }
        }
        HPDF_Page_EndText(page);
        if (s.err.errorNo) return s.failed("dessin");
    }

    // Pass 5: serialise in memory.
    if (HPDF_SaveToStream(d) != HPDF_OK || s.err.errorNo) return s.failed("enregistrement");
    HPDF_UINT32 size = HPDF_GetStreamSize(d);
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
    result.pages = static_cast<int>(laid.pages.size());
    result.embeddedFont = fonts.embedded();
    return result;
}

} // namespace passerelle::pdf
