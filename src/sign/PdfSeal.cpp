#include "sign/PdfSeal.h"

#include <cstdio>
#include <cstring>
#include <regex>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>

namespace passerelle::sign {

namespace {

const char* kManifestKey = "/Passerelle_Manifest";

std::string hexOf(const std::string& bytes) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
    return out;
}

bool unhex(const std::string& hex, std::string& out) {
    out.clear();
    int hi = -1;
    for (char c : hex) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        else return false;
        if (hi < 0) hi = v;
        else {
            out.push_back(static_cast<char>(hi * 16 + v));
            hi = -1;
        }
    }
    if (hi >= 0) out.push_back(static_cast<char>(hi * 16));
    return true;
}

// A PDF literal string of printable ASCII (other bytes as octal escapes).
std::string pdfLiteral(const std::string& s) {
    std::string out = "(";
    for (unsigned char c : s) {
        if (c == '(' || c == ')' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20 || c > 0x7E) {
            char b[8];
            std::snprintf(b, sizeof b, "\\%03o", c);
            out += b;
        } else out.push_back(static_cast<char>(c));
    }
    return out + ")";
}

std::string objRef(const QPDFObjGen& og) { return std::to_string(og.getObj()) + " " + std::to_string(og.getGen()) + " R"; }

// "<< … >>" of a dictionary with `extra` added before its closing bracket.
std::string dictWith(QPDFObjectHandle dict, const std::vector<std::string>& removeKeys, const std::string& extra) {
    QPDFObjectHandle copy = dict.shallowCopy();
    for (const auto& k : removeKeys) copy.removeKey(k);
    std::string text = copy.unparse();
    std::size_t end = text.rfind(">>");
    return text.substr(0, end) + " " + extra + " >>";
}

std::string xrefEntry(std::size_t offset, int gen) {
    char b[32];
    std::snprintf(b, sizeof b, "%010zu %05d n\r\n", offset, gen);
    return b;
}

} // namespace

Result<std::string> sealPdf(const std::string& pdf, const SealKey& key, const SealInfo& info) {
    // Pass 1: what the update must reference (catalog, first page, trailer, previous xref).
    QPDFObjGen rootOg, pageOg;
    std::string rootDict, pageDict, infoRef, idText;
    long long size = 0;
    try {
        QPDF q;
        q.setSuppressWarnings(true);
        q.processMemoryFile("sealed.pdf", pdf.data(), pdf.size());
        QPDFObjectHandle trailer = q.getTrailer();
        size = trailer.getKey("/Size").getIntValue();
        QPDFObjectHandle root = trailer.getKey("/Root");
        rootOg = root.getObjGen();
        if (root.hasKey("/AcroForm"))
            return Status::failedPrecondition("already_sealed", "Le PDF a déjà un formulaire ou une signature.");
        auto pages = QPDFPageDocumentHelper(q).getAllPages();
        if (pages.empty()) return Status::invalidArgument("empty_pdf", "Le PDF n'a aucune page.");
        QPDFObjectHandle page = pages.front().getObjectHandle();
        pageOg = page.getObjGen();
        std::string annots;
        if (page.hasKey("/Annots") && page.getKey("/Annots").isArray())
            for (auto& a : page.getKey("/Annots").getArrayAsVector()) annots += a.unparse() + " ";
        const long long sigObj = size, widgetObj = size + 1;
        (void)sigObj;
        pageDict = dictWith(page, {"/Annots"}, "/Annots [" + annots + std::to_string(widgetObj) + " 0 R]");
        rootDict = dictWith(root, {}, "/AcroForm << /Fields [" + std::to_string(widgetObj) + " 0 R] /SigFlags 3 >>");
        if (trailer.hasKey("/Info")) infoRef = trailer.getKey("/Info").unparse();
        if (trailer.hasKey("/ID")) idText = trailer.getKey("/ID").unparse();
    } catch (const std::exception& e) {
        return Status::internal("seal_parse", std::string("PDF illisible avant scellement : ") + e.what());
    }
    std::size_t sx = pdf.rfind("startxref");
    if (sx == std::string::npos) return Status::internal("seal_parse", "PDF sans startxref.");
    long long prevXref = std::atoll(pdf.c_str() + sx + 9);

    // Pass 2: the incremental update, with placeholders for /ByteRange and /Contents.
    const long long sigObj = size, widgetObj = size + 1, apObj = size + 2;
    std::string out = pdf;
    if (out.back() != '\n') out.push_back('\n');
    std::vector<std::pair<long long, std::pair<std::size_t, int>>> offsets; // obj -> (offset, gen)
    const std::string byteRangePlaceholder = "[0 0000000000 0000000000 0000000000]";
    offsets.push_back({sigObj, {out.size(), 0}});
    out += std::to_string(sigObj) + " 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ";
    const std::size_t byteRangePos = out.size();
    out += byteRangePlaceholder + " /Contents ";
    const std::size_t contentsPos = out.size();
    out += "<" + std::string(kContentsBytes * 2, '0') + ">";
    const std::size_t contentsEnd = out.size();
    out += " /M " + pdfLiteral(info.signingTime) + " /Reason " + pdfLiteral(info.reason) +
           " /Prop_Build << /App << /Name /Passerelle >> >> " + kManifestKey + " <" + hexOf(info.manifestJson) + "> >>\nendobj\n";
    offsets.push_back({widgetObj, {out.size(), 0}});
    out += std::to_string(widgetObj) + " 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T (Scellement Passerelle) /V " +
           std::to_string(sigObj) + " 0 R /F 132 /Rect [0 0 0 0] /P " + objRef(pageOg) + " /AP << /N " +
           std::to_string(apObj) + " 0 R >> >>\nendobj\n";
    offsets.push_back({apObj, {out.size(), 0}});
    out += std::to_string(apObj) + " 0 obj\n<< /Type /XObject /Subtype /Form /BBox [0 0 0 0] /Resources << >> /Length 0 >>\nstream\n\nendstream\nendobj\n";
    offsets.push_back({rootOg.getObj(), {out.size(), rootOg.getGen()}});
    out += std::to_string(rootOg.getObj()) + " " + std::to_string(rootOg.getGen()) + " obj\n" + rootDict + "\nendobj\n";
    offsets.push_back({pageOg.getObj(), {out.size(), pageOg.getGen()}});
    out += std::to_string(pageOg.getObj()) + " " + std::to_string(pageOg.getGen()) + " obj\n" + pageDict + "\nendobj\n";
    std::sort(offsets.begin(), offsets.end());
    const std::size_t xrefPos = out.size();
    out += "xref\n";
    for (const auto& [num, og] : offsets) out += std::to_string(num) + " 1\n" + xrefEntry(og.first, og.second);
    out += "trailer\n<< /Size " + std::to_string(apObj + 1) + " /Root " + objRef(rootOg);
    if (!infoRef.empty()) out += " /Info " + infoRef;
    if (!idText.empty()) out += " /ID " + idText;
    out += " /Prev " + std::to_string(prevXref) + " >>\nstartxref\n" + std::to_string(xrefPos) + "\n%%EOF\n";

    // Pass 3: byte range, then the CMS over it, written into /Contents.
    char range[64];
    std::snprintf(range, sizeof range, "[0 %010zu %010zu %010zu]", contentsPos, contentsEnd, out.size() - contentsEnd);
    if (std::strlen(range) != byteRangePlaceholder.size()) return Status::internal("seal_range", "Plage d'octets trop grande.");
    out.replace(byteRangePos, byteRangePlaceholder.size(), range);
    std::string signedBytes = out.substr(0, contentsPos) + out.substr(contentsEnd);
    auto cms = key.signDetached(signedBytes);
    if (!cms.isOk()) return cms.status();
    if (cms.value().size() > kContentsBytes) return Status::internal("seal_size", "Signature CMS trop grande pour /Contents.");
    std::string hex = hexOf(cms.value());
    out.replace(contentsPos + 1, hex.size(), hex);
    return out;
}

VerifyReport verifyPdf(const std::string& pdf, const SealKey* trusted) {
    VerifyReport r;
    r.isPdf = pdf.compare(0, 5, "%PDF-") == 0;
    if (!r.isPdf) {
        r.problem = "Ce fichier n'est pas un PDF.";
        return r;
    }
    // The last signature dictionary of the file.
    std::size_t br = pdf.rfind("/ByteRange");
    if (br == std::string::npos) {
        r.problem = "Ce PDF ne porte aucune signature : il n'a pas été scellé par Passerelle.";
        return r;
    }
    r.hasSignature = true;
    std::size_t dictStart = pdf.rfind("<<", br);
    std::size_t dictEnd = pdf.find("endobj", br);
    if (dictStart == std::string::npos || dictEnd == std::string::npos) {
        r.problem = "Dictionnaire de signature illisible.";
        return r;
    }
    const std::string dict = pdf.substr(dictStart, dictEnd - dictStart);
    std::smatch m;
    static const std::regex rangeRe(R"(/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\])");
    if (!std::regex_search(dict, m, rangeRe)) {
        r.problem = "Plage d'octets signée illisible.";
        return r;
    }
    const unsigned long long a = std::stoull(m[1]), b = std::stoull(m[2]), c = std::stoull(m[3]), d = std::stoull(m[4]);
    if (a != 0 || b > c || c + d > pdf.size() || b >= pdf.size() || pdf[b] != '<' || pdf[c - 1] != '>') {
        r.problem = "La plage d'octets signée ne correspond pas au fichier : il a été modifié.";
        return r;
    }
    r.wholeDocument = c + d == pdf.size();
    std::string der;
    if (!unhex(pdf.substr(b + 1, c - b - 2), der)) {
        r.problem = "Signature (/Contents) illisible.";
        return r;
    }
    std::size_t mk = dict.find(kManifestKey);
    if (mk != std::string::npos) {
        std::size_t lt = dict.find('<', mk), gt = dict.find('>', lt == std::string::npos ? mk : lt);
        std::string manifest;
        if (lt != std::string::npos && gt != std::string::npos && unhex(dict.substr(lt + 1, gt - lt - 1), manifest)) {
            r.passerelle = true;
            r.manifestJson = manifest;
        }
    }
    // CMS: digest over both ranges and the signer's signature.
    const std::string data = pdf.substr(0, b) + pdf.substr(c, d);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size()));
    if (!cms) {
        r.problem = "Signature CMS illisible.";
        return r;
    }
    BIO* in = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
    int ok = CMS_verify(cms, nullptr, nullptr, in, nullptr, CMS_DETACHED | CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
    BIO_free(in);
    ERR_clear_error();
    r.digestValid = ok == 1;
    if (STACK_OF(X509)* signers = CMS_get0_signers(cms)) {
        if (sk_X509_num(signers) > 0) {
            X509* cert = sk_X509_value(signers, 0);
            BIO* sb = BIO_new(BIO_s_mem());
            X509_NAME_print_ex(sb, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
            BUF_MEM* mem = nullptr;
            BIO_get_mem_ptr(sb, &mem);
            if (mem) r.signerSubject.assign(mem->data, mem->length);
            BIO_free(sb);
            unsigned char* certDer = nullptr;
            int len = i2d_X509(cert, &certDer);
            if (len > 0) {
                r.signerFingerprint = sha256Hex(std::string(reinterpret_cast<char*>(certDer), static_cast<std::size_t>(len)));
                OPENSSL_free(certDer);
            }
        }
        sk_X509_free(signers);
    }
    CMS_ContentInfo_free(cms);
    if (trusted && !r.signerFingerprint.empty()) r.trustedSigner = r.signerFingerprint == trusted->fingerprintSha256();
    if (!r.digestValid) r.problem = "L'empreinte ne correspond plus : le document a été modifié après son scellement.";
    else if (!r.wholeDocument) r.problem = "Des octets ont été ajoutés après le scellement : la version scellée n'est pas le fichier entier.";
    else if (!r.passerelle) r.problem = "Signature valide, mais ce PDF n'a pas été scellé par Passerelle.";
    return r;
}

} // namespace passerelle::sign
