#pragma once
// Helpers of the signing tests: a drawn-looking signature PNG, the external
// checkers (pdfsig with an NSS database trusting the seal, PDFBox Preflight).
#include <string>

#include "sign/SealKey.h"

namespace passerelle::testing {

// A w × h PNG with an opaque-on-transparent stroke (like a canvas drawing).
std::string signaturePng(int w = 300, int h = 100, int seed = 1);
// "data:image/png;base64,…" of signaturePng().
std::string signatureDataUrl(int seed = 1);

// pdfsig -nssdir DIR on a file, DIR holding an NSS database that trusts `key`'s certificate.
struct PdfSig {
    explicit PdfSig(const sign::SealKey& key, const std::string& dir);
    std::string check(const std::string& pdfBytes) const; // stdout + stderr of pdfsig
    std::string dir;
};

// org.apache.pdfbox.preflight.Validator_A1b on PDF bytes: stdout + stderr, and whether it said valid.
bool preflightA1b(const std::string& pdfBytes, std::string* output);

} // namespace passerelle::testing
