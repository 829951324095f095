#pragma once
// SignedDocument: the signed PDF of one signing, end to end, in memory:
//  1. the revision re-composed from its input (same template, document id and
//     date as the stored revision) with, in each signature box, the date and
//     time of the signature (and a typed name where one replaced the drawing),
//     rendered with every font embedded;
//  2. the signature images drawn in their boxes, a certificate of signature
//     page appended (document id and hash, each signatory with method, time,
//     witness, IP and user agent), the whole made PDF/A-1b (makePdfA);
//  3. sealed (sealPdf) with a manifest verify reads back.
// Thread-safe: no shared state.
#include <cstdint>
#include <string>
#include <vector>

#include "common/Status.h"
#include "forms/Validator.h"
#include "sign/SealKey.h"
#include "sign/SigningPlan.h"
#include "templates/Template.h"

namespace passerelle::sign {

struct SignatureRecord {
    PlannedSignatory signatory;
    std::string id;            // "sgr_…"
    std::string method;        // in_person | account
    std::string witness;       // in_person: the référent present
    std::string typedName;     // accessible alternative to a drawn signature
    std::int64_t signedAt = 0; // epoch seconds
    std::string ip, userAgent;
    std::string imagePng;      // PNG bytes, may be empty when typedName is set
    std::string imageSha256;
};

struct SignedPdfInput {
    const templates::TemplateDef* tpl = nullptr;
    const forms::FilledForm* filled = nullptr;
    std::string documentId;
    std::int64_t revision = 0;
    std::string revisionSha256; // of the revision's stored PDF: what each signatory signed
    std::string revisionDate;   // dd/mm/yyyy the revision was rendered with ({today})
    std::string signingId;
    std::vector<SignatureRecord> signatures; // signing order
    std::int64_t sealedAt = 0;
    std::string fontsDir = "fonts";
    std::string iccProfilePath = "/usr/share/color/icc/sRGB.icc";
};

struct SignedPdf {
    std::string bytes;
    std::string sha256;
    int pages = 0;
};

Result<SignedPdf> buildSignedPdf(const SignedPdfInput& input, const SealKey& key);

// French label of a signing method ("En présence, témoin : …", "Depuis son compte").
std::string methodLabel(const std::string& method, const std::string& witness);

} // namespace passerelle::sign
