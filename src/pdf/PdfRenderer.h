#pragma once
// PDF backend on libharu: the only place that calls HPDF_*. Lays out blocks
// with libharu's exact font metrics, then draws the laid-out pages, all in
// memory. Thread-safe: each call owns its own HPDF_Doc.
//
// Fonts: when every character fits Windows-1252 (French included), the PDF
// uses base-14 Helvetica (nothing embedded: a few KB, sub-millisecond). Text
// outside it is drawn with fonts from `fontsDir`, embedded as subsets cut to
// the characters the document uses (see FontSubset.h): Liberation Sans for
// Latin, Greek and Cyrillic (Ştefan, Łukasz, Nguyễn), Noto Sans Arabic for
// Arabic script (« فاطمة الزهراء »), which is put in visual order and shaped
// (see Bidi.h); a line is split into runs by script, each run with its font.
// A line holding only right-to-left text is right-aligned in the box it was
// laid out in (layout::Item::boxWidth).
#include <string>
#include <vector>

#include "common/Status.h"
#include "layout/Layout.h"

namespace passerelle::pdf {

struct PdfOptions {
    std::string fontsDir = "fonts";
    std::string title;   // document information dictionary (UTF-8; written as UTF-16BE when not ASCII)
    std::string subject;
    std::string author = "Passerelle";
    std::string lang = "fr-FR"; // /Lang of the catalog (natural language of the text); empty: none
    // Every font embedded, as PDF/A requires: base-14 Helvetica is never used, Latin text is drawn
    // with the embedded Liberation Sans subset (metric-compatible: the layout is the same).
    // Default false (Helvetica for Windows-1252 text: smaller and faster).
    bool embedAllFonts = false;
    // Bounds per document: past them the document is refused (413 document_too_large), never cut.
    std::size_t maxPages = 2000;
    std::size_t maxBytes = 64u * 1024 * 1024;
    // zlib level of the pages' content streams. 1, the fastest, by default: it takes half the time
    // of libharu's 6 for content streams about 8 % larger (bench_pdf's Stage4_Draw rows); the
    // document's other streams (fonts, images) keep libharu's level.
    int contentDeflateLevel = 1;
};

// A signature party's box, in PDF user space (origin bottom-left), in document order.
struct SignatureBox {
    int page = 0; // 0-based
    double x = 0, y = 0, w = 0, h = 0;
};

struct PdfResult {
    std::string bytes;
    int pages = 0;
    bool embeddedFont = false;
    std::vector<SignatureBox> signatureBoxes;
};

Result<PdfResult> render(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options);

// The pages exactly as render() lays them out (same fonts and metrics), without drawing them:
// for benchmarks that measure drawing alone, and for tests.
Result<layout::Document> layOut(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options);

// A piece of a text item as render() draws it: where it starts (x, PDF points from the page's left
// edge), its width with the PDF's own font metrics, its text in drawing order (UTF-8; Arabic script
// shaped and in visual order, as the PDF shows it) and whether the Arabic face draws it.
struct TextRun {
    double x = 0;
    double width = 0;
    std::string text;
    bool arabic = false;
};
// A laid-out page with, for each of its items (same index), the runs its text is drawn in (empty
// for lines, boxes and empty text).
struct PlacedPage {
    layout::Page page;
    std::vector<std::vector<TextRun>> runs;
};
// The pages exactly as render() lays them out and places their text (same fonts, metrics, runs and
// right-to-left alignment), for backends that draw the same pages another way (svg/SvgPages.h).
Result<std::vector<PlacedPage>> place(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup,
                                      const PdfOptions& options);

} // namespace passerelle::pdf
