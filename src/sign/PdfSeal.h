#pragma once
// Sealing and verification of PDF files: a PAdES baseline B-B signature in an
// incremental update, and the check that reads it back.
//
// The seal (sealPdf) appends to an existing, classic-xref PDF (PDF/A output of
// makePdfA): a signature dictionary (/Type /Sig, /Filter /Adobe.PPKLite,
// /SubFilter /ETSI.CAdES.detached, /ByteRange, zero-padded /Contents of
// kContentsBytes, /M, /Reason and the Passerelle manifest), an invisible
// widget with an empty /AP (PDF/A), the catalog with /AcroForm (/SigFlags 3)
// and the first page with /Annots, then an xref section and a trailer with
// /Prev. The CMS (SealKey::signDetached) covers every byte except the
// /Contents hex string. Any later change to the bytes breaks the seal.
//
// verifyPdf never trusts what it reads: it finds the last signature
// dictionary, checks that the byte range covers the whole file but the
// signature, checks the CMS digest and signature, and names the signer.
// Pure functions; thread-safe.
#include <string>

#include "common/Status.h"
#include "sign/SealKey.h"

namespace passerelle::sign {

inline constexpr std::size_t kContentsBytes = 8192; // room for the DER CMS

struct SealInfo {
    std::string manifestJson; // what verify reports (document, revision, signatories); covered by the seal
    std::string reason;       // /Reason, e.g. "Scellement Passerelle du document doc_…"
    std::string signingTime;  // PDF date "D:20261201103000+00'00'"
};

Result<std::string> sealPdf(const std::string& pdf, const SealKey& key, const SealInfo& info);

struct VerifyReport {
    bool isPdf = false;
    bool hasSignature = false;   // some /ByteRange signature was found
    bool passerelle = false;     // it carries a Passerelle manifest
    bool digestValid = false;    // CMS digest and signature check over the byte range
    bool wholeDocument = false;  // the byte range covers the whole file (nothing appended after the seal)
    bool trustedSigner = false;  // signer certificate = the configured seal certificate
    std::string signerSubject;
    std::string signerFingerprint;
    std::string manifestJson;    // "" when absent
    std::string problem;         // French, "" when everything holds

    bool intact() const { return hasSignature && digestValid && wholeDocument; }
};

// `trusted`: the instance's seal key (may be null: trustedSigner stays false).
VerifyReport verifyPdf(const std::string& pdf, const SealKey* trusted);

} // namespace passerelle::sign
