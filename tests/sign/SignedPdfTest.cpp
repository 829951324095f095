// The signed PDF itself: PAdES seal (pdfsig), PDF/A-1b (PDFBox Preflight),
// structure (qpdf --check), certificate page (pdftotext), and verification.
#include <gtest/gtest.h>

#include "service/RenderService.h"
#include "sign/ParisTime.h"
#include "sign/PdfSeal.h"
#include "sign/SignTestSupport.h"
#include "sign/SignedDocument.h"
#include "sign/SigningPlan.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

struct Fixture {
    TempDir dir;
    std::shared_ptr<const sign::SealKey> key;
    service::RenderService renderer{repoCatalog()};
    forms::FilledForm filled;
    std::shared_ptr<const templates::TemplateDef> tpl;
    std::vector<sign::PlannedSignatory> plan;

    explicit Fixture(const std::string& form, const std::string& example) {
        auto k = sign::SealKey::development(dir.path());
        EXPECT_TRUE(k.isOk()) << k.status().toString();
        key = k.value();
        auto f = renderer.validate(form, readJson(sourceDir() + "/examples/" + example));
        EXPECT_TRUE(f.isOk()) << f.status().toString();
        filled = f.value();
        tpl = repoCatalog().templates->find(form, filled.form->variants.front().name);
        auto p = sign::planSignatories(*filled.form, filled.data);
        EXPECT_TRUE(p.isOk()) << p.status().toString();
        plan = p.value();
    }

    sign::SignedPdf build() {
        sign::SignedPdfInput in;
        in.tpl = tpl.get();
        in.filled = &filled;
        in.documentId = "doc_0123456789abcdef";
        in.revision = 2;
        in.revisionSha256 = std::string(64, 'a');
        in.revisionDate = "01/12/2026";
        in.signingId = "sgn_0123456789abcdef";
        in.sealedAt = 1796160000; // 2026-12-01
        in.fontsDir = sourceDir() + "/fonts";
        int n = 0;
        for (const auto& p : plan) {
            sign::SignatureRecord r;
            r.signatory = p;
            r.id = "sgr_" + std::to_string(n);
            r.method = p.party == "bailleur" ? "account" : "in_person";
            if (r.method == "in_person") r.witness = "Claire Lefèvre";
            r.signedAt = in.sealedAt - 600 + 60 * n++;
            r.ip = "192.0.2." + std::to_string(n);
            r.userAgent = "Mozilla/5.0 (tablette)";
            r.imagePng = signaturePng(300, 100, n);
            r.imageSha256 = sign::sha256Hex(r.imagePng);
            in.signatures.push_back(r);
        }
        auto pdf = sign::buildSignedPdf(in, *key);
        EXPECT_TRUE(pdf.isOk()) << pdf.status().toString();
        return pdf.isOk() ? pdf.value() : sign::SignedPdf{};
    }
};

} // namespace

TEST(SignedPdf, ContratObjectifsIsSealedPdfA1bWithCertificate) {
    Fixture f("contrat-objectifs", "contrat-objectifs-amli-acces.json");
    ASSERT_GE(f.plan.size(), 3u);
    EXPECT_EQ(f.plan.front().party, "menage");
    EXPECT_EQ(f.plan.back().party, "bailleur");
    sign::SignedPdf pdf = f.build();
    ASSERT_FALSE(pdf.bytes.empty());
    writeFile("/tmp/sign-contrat.pdf", pdf.bytes);

    std::string check;
    EXPECT_TRUE(qpdfCheck(pdf.bytes, &check)) << check;

    PdfSig sig(*f.key, f.dir.path());
    std::string out = sig.check(pdf.bytes);
    EXPECT_NE(out.find("Signature is Valid."), std::string::npos) << out;
    EXPECT_NE(out.find("Total document signed"), std::string::npos) << out;
    EXPECT_NE(out.find("ETSI.CAdES.detached"), std::string::npos) << out;
    EXPECT_NE(out.find("Certificate is Trusted."), std::string::npos) << out;

    std::string pre;
    EXPECT_TRUE(preflightA1b(pdf.bytes, &pre)) << pre;

    std::string text = normaliseSpaces(pdfToText(pdf.bytes));
    EXPECT_NE(text.find("Certificat de signature"), std::string::npos);
    for (const auto& p : f.plan) EXPECT_NE(text.find(p.name), std::string::npos) << p.name;
    EXPECT_NE(text.find("témoin : Claire Lefèvre"), std::string::npos);
    EXPECT_NE(text.find("192.0.2.1"), std::string::npos);
    EXPECT_NE(text.find("Depuis son compte Passerelle"), std::string::npos);
    std::string compact;
    for (char c : text) if (c != ' ') compact.push_back(c);
    EXPECT_NE(compact.find(std::string(64, 'a')), std::string::npos) << "revision hash on the certificate page";
    EXPECT_NE(out.find("DÉVELOPPEMENT"), std::string::npos) << "development certificate clearly named: " << out;

    auto v = sign::verifyPdf(pdf.bytes, f.key.get());
    EXPECT_TRUE(v.intact()) << v.problem;
    EXPECT_TRUE(v.passerelle);
    EXPECT_TRUE(v.trustedSigner);
    EXPECT_NE(v.manifestJson.find("\"document\":\"doc_0123456789abcdef\""), std::string::npos) << v.manifestJson;

    // One byte changed inside the signed range: pdfsig and verify both see it.
    std::string changed = pdf.bytes;
    std::size_t at = changed.find("/Title");
    ASSERT_NE(at, std::string::npos);
    changed[at + 1] = 'X';
    std::string bad = sig.check(changed);
    EXPECT_NE(bad.find("Digest Mismatch"), std::string::npos) << bad;
    auto vb = sign::verifyPdf(changed, f.key.get());
    EXPECT_FALSE(vb.intact());
    EXPECT_FALSE(vb.digestValid);
    EXPECT_NE(vb.problem.find("modifié"), std::string::npos);
}
