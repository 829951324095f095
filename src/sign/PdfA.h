#pragma once
// makePdfA: the post-processing pass (qpdf, in memory) that turns libharu
// output (rendered with every font embedded) into PDF/A-1b, and assembles the
// signed document on the way:
//  - appends the pages of further PDFs (the certificate of signature);
//  - draws opaque RGB images (signatures, alpha already flattened on white)
//    at given places;
//  - repairs what libharu 2.3.0 leaves wrong or missing for PDF/A-1b: Info
//    strings re-encoded (PDFDocEncoding or UTF-16BE), an XMP packet matching
//    the Info dictionary (escaped; pdfaid part 1, conformance B), /CapHeight
//    and /CIDSet on embedded CID fonts, an sRGB output intent (ICC profile
//    read from `iccProfilePath`), a trailer /ID;
//  - writes PDF 1.4 with a classic xref table, no object streams and an end
//    of line before each endstream.
// Pure function (reads only the ICC file); thread-safe.
#include <string>
#include <vector>

#include "common/Status.h"

namespace passerelle::sign {

struct RgbImage {
    int width = 0, height = 0;
    std::string rgb; // width × height × 3 bytes, rows top to bottom
};

struct ImagePlacement {
    int page = 0;                     // 0-based, in the main PDF
    double x = 0, y = 0, w = 0, h = 0; // PDF user space (origin bottom-left)
    RgbImage image;
};

struct PdfAOptions {
    std::string title, author, subject, keywords;
    std::string creator = "Passerelle";
    std::string producer = "Passerelle (libharu, qpdf)";
    std::int64_t createdEpochSeconds = 0; // CreationDate = ModDate
    std::string iccProfilePath = "/usr/share/color/icc/sRGB.icc";
};

Result<std::string> makePdfA(const std::string& mainPdf, const std::vector<std::string>& appendedPdfs,
                             const std::vector<ImagePlacement>& images, const PdfAOptions& options);

// Dates as PDF ("D:20261201103000+00'00'") and XMP ("2026-12-01T10:30:00+00:00") text, UTC.
std::string pdfDate(std::int64_t epochSeconds);
std::string xmpDate(std::int64_t epochSeconds);

} // namespace passerelle::sign
