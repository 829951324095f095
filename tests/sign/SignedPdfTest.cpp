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
    // The checker can say no: the ordinary rendition (base-14 fonts, no XMP, no intent) is not PDF/A.
    service::RenderRequest plain;
    plain.form = "contrat-objectifs";
    plain.data = readJson(sourceDir() + "/examples/contrat-objectifs-amli-acces.json");
    auto ordinary = f.renderer.render(plain);
    ASSERT_TRUE(ordinary.isOk());
    std::string preOrdinary;
    EXPECT_FALSE(preflightA1b(ordinary.value().bytes, &preOrdinary)) << preOrdinary;

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

// The other signable forms: the protocole (names outside Windows-1252) and the
// household's autorisation de transmission, each PDF/A-1b and sealed.
TEST(SignedPdf, ProtocoleAndAutorisationArePdfA1bAndSealed) {
    struct Case {
        const char* form;
        const char* example;
        std::size_t signatories;
    };
    for (const Case& c : {Case{"protocole-sous-location", "protocole-sous-location-amli-maintien.json", 4},
                          Case{"autorisation-transmission", "autorisation-transmission-grille-affil-couple.json", 2}}) {
        Fixture f(c.form, c.example);
        EXPECT_EQ(f.plan.size(), c.signatories) << c.form;
        sign::SignedPdf pdf = f.build();
        ASSERT_FALSE(pdf.bytes.empty()) << c.form;
        std::string check;
        EXPECT_TRUE(qpdfCheck(pdf.bytes, &check)) << c.form << check;
        std::string pre;
        EXPECT_TRUE(preflightA1b(pdf.bytes, &pre)) << c.form << pre;
        PdfSig sig(*f.key, f.dir.path());
        std::string out = sig.check(pdf.bytes);
        EXPECT_NE(out.find("Signature is Valid."), std::string::npos) << c.form << out;
        EXPECT_NE(out.find("Total document signed"), std::string::npos) << c.form << out;
        std::string text = normaliseSpaces(pdfToText(pdf.bytes));
        for (const auto& p : f.plan) EXPECT_NE(text.find(p.name), std::string::npos) << c.form << " " << p.name;
        // Bytes appended after the seal: intact range, but not the whole file.
        auto v = sign::verifyPdf(pdf.bytes + "%%\n", f.key.get());
        EXPECT_TRUE(v.digestValid) << c.form;
        EXPECT_FALSE(v.wholeDocument) << c.form;
        EXPECT_FALSE(v.intact()) << c.form;
    }
}

// The plan follows the order the form declares, whatever the order of the boxes.
TEST(SigningPlan, OrderAndBoxesFromTheFormDefinition) {
    Fixture f("protocole-sous-location", "protocole-sous-location-amli-maintien.json");
    ASSERT_EQ(f.plan.size(), 4u);
    EXPECT_EQ(f.plan[0].party, "menage");
    EXPECT_EQ(f.plan[0].name, "Ştefan Popescu");
    EXPECT_EQ(f.plan[0].box, 1); // the template draws the landlord's box first
    EXPECT_EQ(f.plan[2].party, "association");
    EXPECT_EQ(f.plan[3].party, "bailleur");
    EXPECT_EQ(f.plan[3].box, 0);
    for (std::size_t i = 0; i < f.plan.size(); ++i) EXPECT_EQ(f.plan[i].position, static_cast<int>(i));
}

TEST(ParisTime, WinterAndSummerOffsets) {
    EXPECT_EQ(sign::parisTime(1796160000).iso, "2026-12-01T22:20:00+01:00"); // 2026-12-01T21:20:00Z
    EXPECT_EQ(sign::parisTime(1782900000).iso.substr(19), "+02:00");        // July 2026
    EXPECT_EQ(sign::utcIso(1796160000), "2026-12-01T21:20:00Z");
    EXPECT_EQ(sign::parseUtcIso("2026-12-01T21:20:00.123Z"), 1796160000);
    // 29 March 2026, 01:00 UTC: the change to summer time.
    EXPECT_EQ(sign::parisTime(1774745999).iso, "2026-03-29T01:59:59+01:00");
    EXPECT_EQ(sign::parisTime(1774746000).iso, "2026-03-29T03:00:00+02:00");
}

// The fiche navette's « accord du ménage »: the adults named in the
// composition, without a box (the template's boxes are the organisations').
TEST(SigningPlan, FicheNavetteAccordDuMenage) {
    Fixture f("fiche-navette", "fiche-navette-association-vers-bailleur.json");
    ASSERT_EQ(f.plan.size(), 1u); // Samira Benali (titulaire); the two children do not sign
    EXPECT_EQ(f.plan[0].name, "Samira Benali");
    EXPECT_EQ(f.plan[0].box, -1);
    sign::SignedPdf pdf = f.build();
    std::string text = normaliseSpaces(pdfToText(pdf.bytes));
    EXPECT_NE(text.find("Samira Benali"), std::string::npos);
    EXPECT_NE(text.find("Accord du ménage sur le contenu de la fiche"), std::string::npos);
    EXPECT_TRUE(sign::verifyPdf(pdf.bytes, f.key.get()).intact());
}

TEST(SigningPlan, FormsWithoutSigningBlockAreNotSignable) {
    auto def = repoCatalog().forms->find("grille-capacite-habiter");
    ASSERT_TRUE(def);
    EXPECT_FALSE(sign::isSignable(*def));
    auto plan = sign::planSignatories(*def, new Poco::JSON::Object);
    EXPECT_EQ(plan.status().errorCode(), "not_signable");
}

// The development certificate is generated once and reused; a PKCS#12 file
// (what a deployment configures) seals as well, and verify tells the two apart.
TEST(SealKey, DevelopmentReusedAndPkcs12Loaded) {
    TempDir dir;
    auto first = sign::SealKey::development(dir.path());
    ASSERT_TRUE(first.isOk()) << first.status().toString();
    auto again = sign::SealKey::load({"", "", "", "", dir.path()});
    ASSERT_TRUE(again.isOk());
    EXPECT_EQ(first.value()->fingerprintSha256(), again.value()->fingerprintSha256());
    EXPECT_TRUE(again.value()->isDevelopment());
    EXPECT_NE(again.value()->subject().find("DÉVELOPPEMENT"), std::string::npos) << again.value()->subject();

    // A "production" identity: another key, exported as PKCS#12 by openssl.
    auto r = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=Cachet AMLI/O=AMLI/C=FR",
                  "-keyout", dir.file("k.pem"), "-out", dir.file("c.pem")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    r = run({"openssl", "pkcs12", "-export", "-inkey", dir.file("k.pem"), "-in", dir.file("c.pem"), "-out", dir.file("cachet.p12"),
             "-passout", "pass:secret"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto wrong = sign::SealKey::loadPkcs12(dir.file("cachet.p12"), "mauvais");
    EXPECT_FALSE(wrong.isOk());
    auto p12 = sign::SealKey::load({dir.file("cachet.p12"), "secret", "", "", dir.path()});
    ASSERT_TRUE(p12.isOk()) << p12.status().toString();
    EXPECT_FALSE(p12.value()->isDevelopment());
    auto pem = sign::SealKey::load({"", "", dir.file("k.pem"), dir.file("c.pem"), ""});
    ASSERT_TRUE(pem.isOk()) << pem.status().toString();
    EXPECT_EQ(pem.value()->fingerprintSha256(), p12.value()->fingerprintSha256());

    Fixture f("autorisation-transmission", "autorisation-transmission-grille-affil-couple.json");
    f.key = p12.value();
    sign::SignedPdf pdf = f.build();
    auto own = sign::verifyPdf(pdf.bytes, p12.value().get());
    EXPECT_TRUE(own.intact());
    EXPECT_TRUE(own.trustedSigner);
    EXPECT_NE(own.signerSubject.find("Cachet AMLI"), std::string::npos) << own.signerSubject;
    auto other = sign::verifyPdf(pdf.bytes, first.value().get());
    EXPECT_TRUE(other.intact());
    EXPECT_FALSE(other.trustedSigner) << "sealed by another instance's certificate";
}
