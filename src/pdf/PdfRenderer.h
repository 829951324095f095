#pragma once
// PDF backend on libharu: the only place that calls HPDF_*. Lays out blocks
// with libharu's exact font metrics, then draws the laid-out pages, all in
// memory. Thread-safe: each call owns its own HPDF_Doc.
//
// Fonts: when every character fits Windows-1252 (French included), the PDF
// uses base-14 Helvetica (nothing embedded: a few KB, sub-millisecond). When
// some text falls outside it (Ştefan, Łukasz, Nguyễn), Liberation Sans from
// `fontsDir` is embedded with UTF-8 encoding.
#include <string>
#include <vector>

#include "common/Status.h"
#include "layout/Layout.h"

namespace passerelle::pdf {

struct PdfOptions {
    std::string fontsDir = "fonts";
    std::string title;   // document information dictionary
    std::string subject;
    std::string author = "Passerelle";
    // PDF/A (signed documents, src/sign): every string in the embedded
    // Liberation Sans, none in base-14 Helvetica. Default false. Minimal option
    // added by the signing work until the fonts work offers its own mode.
    bool embedAllFonts = false;
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

} // namespace passerelle::pdf
