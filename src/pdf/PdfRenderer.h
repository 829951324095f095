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
};

struct PdfResult {
    std::string bytes;
    int pages = 0;
    bool embeddedFont = false;
};

Result<PdfResult> render(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup, const PdfOptions& options);

} // namespace passerelle::pdf
