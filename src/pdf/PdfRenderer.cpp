#include "pdf/PdfRenderer.h"

#include "common/Deadline.h"

#include <hpdf.h>

#include <fstream>
#include <memory>

#include "common/Text.h"
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

// Measures (and chooses the font of) every string: base-14 Helvetica in WinAnsi when the
// string fits Windows-1252, else the embedded Liberation Sans of the same weight, loaded on
// first need only. Liberation Sans is metric-compatible with Helvetica, so lines that mix
// both stay aligned.
class HpdfMetrics : public layout::FontMetrics {
public:
    HpdfMetrics(HPDF_Doc doc, HPDF_Font regular, HPDF_Font bold, std::string regularPath, std::string boldPath)
        : _doc(doc), _base{regular, bold}, _paths{std::move(regularPath), std::move(boldPath)} {}

    double width(std::string_view s, layout::Font f, double size) const override {
        if (s.empty()) return 0;
        bool unicode = !text::fitsCp1252(s);
        HPDF_Font font = fontFor(f, unicode);
        if (!font) return 0;
        std::string bytes = unicode ? std::string(s) : text::utf8ToCp1252(s);
        HPDF_TextWidth tw = HPDF_Font_TextWidth(font, reinterpret_cast<const HPDF_BYTE*>(bytes.data()),
                                                static_cast<HPDF_UINT>(bytes.size()));
        return static_cast<double>(tw.width) * size / 1000.0;
    }

    // The font a string is drawn with; nullptr after a libharu error (checked by the caller).
    HPDF_Font fontFor(layout::Font f, bool unicode) const {
        int i = f == layout::Font::Bold ? 1 : 0;
        if (!unicode) return _base[i];
        if (!_unicode[i]) {
            if (!_utfEnabled) {
                HPDF_UseUTFEncodings(_doc);
                _utfEnabled = true;
            }
            const char* name = HPDF_LoadTTFontFromFile(_doc, _paths[i].c_str(), HPDF_TRUE);
            if (name) _unicode[i] = HPDF_GetFont(_doc, name, "UTF-8");
        }
        return _unicode[i];
    }
    bool embedded() const { return _unicode[0] || _unicode[1]; }

private:
    HPDF_Doc _doc;
    HPDF_Font _base[2];
    std::string _paths[2];
    mutable HPDF_Font _unicode[2] = {nullptr, nullptr};
    mutable bool _utfEnabled = false;
};

bool fileReadable(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return in.good();
}

std::string infoText(const std::string& s) {
    // The information dictionary takes PDFDocEncoding, close to Latin-1: fold what does not fit.
    std::string out;
    for (char32_t cp : text::decode(s)) {
        auto b = text::toCp1252(cp);
        out.push_back(b && *b >= 0x20 && *b != 0x7F ? static_cast<char>(*b) : '?');
    }
    return out;
}

} // namespace

Result<PdfResult> render(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options) {
    // Pass 1: font choice from the text itself.
    bool needUnicode = false;
    for (std::string_view s : layout::allText(blocks, setup)) {
        if (!text::fitsCp1252(s)) { needUnicode = true; break; }
    }
    if (!needUnicode && !text::fitsCp1252(options.title)) needUnicode = true;
    const std::string regularPath = options.fontsDir + "/LiberationSans-Regular.ttf";
    const std::string boldPath = options.fontsDir + "/LiberationSans-Bold.ttf";
    if (needUnicode && (!fileReadable(regularPath) || !fileReadable(boldPath)))
        return Status::internal("font_missing", "Police Unicode introuvable dans " + options.fontsDir + ".");

    ErrorState err;
    DocPtr doc(HPDF_New(onError, &err));
    if (!doc) return Status::internal("pdf_alloc", "Impossible de créer le document PDF.");
    auto failed = [&](const char* step) -> Status {
        return Status::internal("pdf_error", std::string("Erreur libharu à l'étape « ") + step + " » (code 0x" +
                                                 [&] { char b[16]; std::snprintf(b, sizeof b, "%04X", static_cast<unsigned>(err.errorNo)); return std::string(b); }() +
                                                 ", détail " + std::to_string(err.detailNo) + ").");
    };
    HPDF_Doc d = doc.get();
    HPDF_SetCompressionMode(d, HPDF_COMP_ALL);

    // Pass 2: fonts and metrics (embedded fonts are loaded by the metrics on first need).
    HPDF_Font regular = HPDF_GetFont(d, "Helvetica", "WinAnsiEncoding");
    HPDF_Font bold = HPDF_GetFont(d, "Helvetica-Bold", "WinAnsiEncoding");
    if (err.errorNo || !regular || !bold) return failed("police");
    HpdfMetrics metrics(d, regular, bold, regularPath, boldPath);

    // Pass 3: layout with exact metrics.
    layout::Document laid = layout::paginate(blocks, setup, metrics);
    if (err.errorNo) return failed("chargement de la police");

    // Pass 4: draw each page: fills, then strokes, then all text in one text object.
    if (!options.title.empty()) HPDF_SetInfoAttr(d, HPDF_INFO_TITLE, infoText(options.title).c_str());
    if (!options.subject.empty()) HPDF_SetInfoAttr(d, HPDF_INFO_SUBJECT, infoText(options.subject).c_str());
    HPDF_SetInfoAttr(d, HPDF_INFO_AUTHOR, infoText(options.author).c_str());
    HPDF_SetInfoAttr(d, HPDF_INFO_CREATOR, "Passerelle");
    const double H = setup.height;
    for (const auto& p : laid.pages) {
        if (Deadline::expired()) break; // the caller reports the time limit
        HPDF_Page page = HPDF_AddPage(d);
        if (!page) return failed("page");
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
        for (const auto& it : p.items) {
            if (it.kind != layout::Item::Kind::Text || it.text.empty()) continue;
            bool unicode = needUnicode && !text::fitsCp1252(it.text);
            HPDF_Font f = metrics.fontFor(it.font, unicode);
            if (!f) return failed("police Unicode");
            if (f != current || it.size != currentSize) {
                HPDF_Page_SetFontAndSize(page, f, static_cast<HPDF_REAL>(it.size));
                current = f;
                currentSize = it.size;
            }
            if (it.gray != currentGray) {
                HPDF_Page_SetGrayFill(page, static_cast<HPDF_REAL>(it.gray));
                currentGray = it.gray;
            }
            std::string bytes = unicode ? it.text : text::utf8ToCp1252(it.text);
            HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(it.x), static_cast<HPDF_REAL>(H - it.y), bytes.c_str());
        }
        HPDF_Page_EndText(page);
        if (err.errorNo) return failed("dessin");
    }

    // Pass 5: serialise in memory.
    if (HPDF_SaveToStream(d) != HPDF_OK || err.errorNo) return failed("enregistrement");
    HPDF_UINT32 size = HPDF_GetStreamSize(d);
    PdfResult result;
    result.bytes.resize(size);
    HPDF_UINT32 read = 0;
    while (read < size) {
        HPDF_UINT32 chunk = size - read;
        HPDF_STATUS st = HPDF_ReadFromStream(d, reinterpret_cast<HPDF_BYTE*>(&result.bytes[read]), &chunk);
        read += chunk;
        if (st == HPDF_STREAM_EOF) break;
        if (st != HPDF_OK) return failed("lecture du flux");
        if (chunk == 0) break;
    }
    if (read != size) return Status::internal("pdf_error", "Flux PDF incomplet.");
    if (metrics.embedded()) fixToUnicodeCMaps(result.bytes);
    result.pages = static_cast<int>(laid.pages.size());
    result.embeddedFont = metrics.embedded();
    return result;
}

} // namespace passerelle::pdf
