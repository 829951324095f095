// The ToUnicode CMaps libharu writes for embedded UTF-8 fonts are replaced by valid ones:
// poppler no longer warns, qpdf finds the file sound, and the text still extracts.
#include <algorithm>

#include <gtest/gtest.h>

#include "common/Text.h"
#include "pdf/PdfRenderer.h"
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

// One paragraph rendered with the shipped fonts, checked by qpdf.
std::string renderParagraph(const std::string& text) {
    layout::ParagraphBlock p;
    p.text = text;
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    auto r = pdf::render({p}, layout::PageSetup{}, options);
    if (!r.isOk()) throw std::runtime_error(r.status().toString());
    std::string check;
    EXPECT_TRUE(qpdfCheck(r.value().bytes, &check)) << check;
    return r.value().bytes;
}

} // namespace

TEST(ToUnicodeFix, EmbeddedFontDocumentsHaveValidToUnicodeMaps) {
    std::string pdf = renderAlert();
    ASSERT_NE(pdf.find("FontFile2"), std::string::npos) << "the example embeds Liberation Sans";
    std::string check;
    EXPECT_TRUE(qpdfCheck(pdf, &check)) << check;
    std::string plain = qdf(pdf);
    // A few characters outside Windows-1252: the subset is a single-byte font whose ToUnicode map
    // lists each byte's character (Ł is U+0141, Ş U+015E).
    EXPECT_EQ(plain.find("begincidrange"), std::string::npos);
    EXPECT_NE(plain.find("beginbfchar"), std::string::npos);
    EXPECT_NE(plain.find("> <0141>"), std::string::npos);
    EXPECT_NE(plain.find("> <015E>"), std::string::npos);
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdf);
    auto r = run({"/usr/bin/pdftotext", "-enc", "UTF-8", dir.file("in.pdf"), dir.file("out.txt")});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.err.find("Syntax Warning"), std::string::npos) << r.err;
    std::string text = readFile(dir.file("out.txt"));
    for (const char* s : {"Łukasiewicz", "Łukasz", "Ştefan", "Nantes", "Impayés de loyer"}) EXPECT_NE(text.find(s), std::string::npos) << s;
}

// A single-byte face's map writes consecutive bytes for consecutive characters as one range:
// printable ASCII, always in the face, and here ā…ĉ, which take the consecutive free bytes 0x82
// to 0x8A (Ā takes 0x80; 0x81 has no character in Windows-1252). Every
// character still extracts, the ranges' ends included.
TEST(ToUnicodeFix, SingleByteFaceMapsRunsAsRangesAndEveryCharacterExtracts) {
    std::string word; // U+0100 to U+0109, then one character alone
    for (char32_t cp = U'\u0100'; cp <= U'\u0109'; ++cp) word += text::encode(cp);
    word += text::encode(U'\u0141');
    const std::string line = "Mot " + word + " ~fin~ 0123456789";
    const std::string pdf = renderParagraph(line);
    std::string plain = qdf(pdf);
    EXPECT_EQ(plain.find("/Identity-H"), std::string::npos) << "eleven characters fit a single-byte face";
    EXPECT_NE(plain.find("<20> <7E> <0020>"), std::string::npos) << "printable ASCII is one range";
    const auto at = plain.find("> <0101>\n");
    ASSERT_NE(at, std::string::npos);
    const std::string entry = plain.substr(plain.rfind('\n', at) + 1, at - plain.rfind('\n', at) + 8);
    EXPECT_EQ(std::count(entry.begin(), entry.end(), '<'), 3) << "ā to ĉ are one range: " << entry;
    EXPECT_NE(plain.find("<80> <0100>\n"), std::string::npos) << "Ā takes 0x80 alone (0x81 is not a Windows-1252 byte)";
    EXPECT_NE(plain.find("> <0141>\n"), std::string::npos) << "Ł is a character of its own";
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdf);
    auto t = run({"/usr/bin/pdftotext", "-enc", "UTF-8", dir.file("in.pdf"), dir.file("out.txt")});
    EXPECT_EQ(t.exitCode, 0);
    EXPECT_EQ(t.err.find("Syntax Warning"), std::string::npos) << t.err;
    EXPECT_NE(readFile(dir.file("out.txt")).find(line), std::string::npos) << readFile(dir.file("out.txt"));
}

// More characters than a single-byte font holds: the face is embedded as Type0 (UTF-8, Identity-H)
// and its ToUnicode map is the identity, rewritten with bfrange.
TEST(ToUnicodeFix, ManyCharactersUseType0WithAValidIdentityMap) {
    std::string many;
    std::vector<std::string> words;
    for (char32_t start : {U'\u0100', U'\u0410', U'\u0391'}) {
        std::string word;
        for (char32_t cp = start; cp < start + 60; ++cp) word += text::encode(cp);
        words.push_back(word);
        many += word + " ";
    }
    const std::string pdf = renderParagraph(many);
    std::string plain = qdf(pdf);
    EXPECT_NE(plain.find("/Identity-H"), std::string::npos);
    EXPECT_EQ(plain.find("begincidrange"), std::string::npos);
    EXPECT_NE(plain.find("<0400> <04FF> <0400>"), std::string::npos);
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdf);
    auto t = run({"/usr/bin/pdftotext", "-enc", "UTF-8", dir.file("in.pdf"), "-"});
    EXPECT_EQ(t.err, "");
    const std::string text = normaliseSpaces(t.out);
    for (const auto& w : words) EXPECT_NE(text.find(w.substr(0, 20)), std::string::npos) << w;
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
