#pragma once
// SVG backend: each page of a document as one SVG document, drawn from the very layout the PDF
// backend draws (pdf::place(): same fonts, same measured widths, same runs, same right-to-left
// alignment), so that a page image shows what the PDF shows, where the PDF shows it.
//
// Each SVG is self-contained and static: a white page of the PDF page's size (viewBox in PDF
// points, origin top-left as in layout/), filled boxes, then rules and box outlines (0.5 pt), then
// each text run as a <text> element at its x and baseline, stretched to the PDF font's width
// (textLength) so that a substitute font keeps the same extent. Font: Helvetica for Latin text (the
// PDF's base-14 font, or Liberation Sans, metric-compatible, when embedded), Noto Sans Arabic for
// Arabic-script runs, which are already shaped and in visual order (drawn left to right with
// bidi-override, as in the PDF). No script, no external reference, no CSS: safe as an <img>.
// Every text is XML-escaped; characters XML cannot carry become U+FFFD.
//
// Pure functions; thread-safe.
#include <string>
#include <string_view>
#include <vector>

#include "common/Status.h"
#include "layout/Layout.h"
#include "pdf/PdfRenderer.h"

namespace passerelle::svg {

struct SvgOptions {
    // Each page's <title>: "<title> — page n sur N" (the title alone is not printed on the page).
    std::string title;
};

// The placed pages as SVG documents, one per page, of widthPt × heightPt points.
std::vector<std::string> drawPages(const std::vector<pdf::PlacedPage>& pages, double widthPt, double heightPt,
                                   const SvgOptions& options);

// Lays out the blocks as pdf::render() would with `pdfOptions` and draws every page.
Result<std::vector<std::string>> render(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup,
                                        const pdf::PdfOptions& pdfOptions, const SvgOptions& options);

// Text for XML character data and attribute values: & < > " ' escaped; invalid UTF-8 and the
// characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE, U+FFFF) become U+FFFD.
std::string escapeXml(std::string_view utf8);

} // namespace passerelle::svg
