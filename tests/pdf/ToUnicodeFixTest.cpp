// The ToUnicode CMaps libharu writes for embedded UTF-8 fonts are replaced by valid ones:
// poppler no longer warns, qpdf finds the file sound, and the text still extracts.
#include <gtest/gtest.h>

#include "pdf/ToUnicodeFix.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;
using namespace passerelle::pdf;

namespace {

std::string renderAlert() {
    service::RenderService svc(repoCatalog());
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = readJson(sourceDir() + "/examples/fiche-navette-alerte-bailleur.json");
    auto r = svc.render(req);
    if (!r.isOk()) throw std::runtime_error(r.status().toString());
    return r.value().bytes;
}

// The file decompressed by qpdf, to read the CMaps.
std::string qdf(const std::string& pdf) {
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdf);
    auto r = run({"/usr/bin/qpdf", "--qdf", "--object-streams=disable", dir.file("in.pdf"), dir.file("out.pdf")});
    if (r.exitCode != 0) throw std::runtime_error("qpdf: " + r.err);
    return readFile(dir.file("out.pdf"));
}

} // namespace

TEST(ToUnicodeFix, EmbeddedFontDocumentsHaveValidToUnicodeMaps) {
    std::string pdf = renderAlert();
    ASSERT_NE(pdf.find("FontFile2"), std::string::npos) << "the example embeds Liberation Sans";
    std::string check;
    EXPECT_TRUE(qpdfCheck(pdf, &check)) << check;
    std::string plain = qdf(pdf);
    EXPECT_EQ(plain.find("begincidrange"), std::string::npos);
    EXPECT_NE(plain.find("beginbfrange"), std::string::npos);
    EXPECT_NE(plain.find("<4100> <41FF> <4100>"), std::string::npos);
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdf);
    auto r = run({"/usr/bin/pdftotext", "-enc", "UTF-8", dir.file("in.pdf"), dir.file("out.txt")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.err.find("Syntax Warning"), std::string::npos) << r.err;
    std::string text = readFile(dir.file("out.txt"));
    for (const char* s : {"Łukasiewicz", "Łukasz", "Ştefan", "Nantes", "Impayés de loyer"}) EXPECT_NE(text.find(s), std::string::npos) << s;
}

TEST(ToUnicodeFix, IdentityMapCoversTheBmpWithoutSurrogatesInBlocksOfAtMost100) {
    std::string cmap = identityToUnicodeCMap();
    EXPECT_NE(cmap.find("100 beginbfrange"), std::string::npos);
    EXPECT_NE(cmap.find("48 beginbfrange"), std::string::npos); // 248 high bytes: 100 + 100 + 48
    EXPECT_NE(cmap.find("<0000> <00FF> <0000>"), std::string::npos);
    EXPECT_NE(cmap.find("<FF00> <FFFF> <FF00>"), std::string::npos);
    EXPECT_EQ(cmap.find("<D800>"), std::string::npos);
    EXPECT_NE(cmap.find("/CMapType 2 def"), std::string::npos);
}

TEST(ToUnicodeFix, AnythingElseIsLeftUntouched) {
    std::string notPdf = "not a pdf /CMapName /UTF-8\n startxref 12";
    std::string copy = notPdf;
    EXPECT_EQ(fixToUnicodeCMaps(copy), 0);
    EXPECT_EQ(copy, notPdf);
    // A CP1252 document has no such map: unchanged, byte for byte.
    service::RenderService svc(repoCatalog());
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    std::string pdf = svc.render(req).value().bytes;
    std::string before = pdf;
    EXPECT_EQ(fixToUnicodeCMaps(pdf), 0);
    EXPECT_EQ(pdf, before);
}
