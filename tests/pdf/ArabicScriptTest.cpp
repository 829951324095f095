// Names in Arabic script: shaped, in visual order, drawn with the embedded Noto Sans Arabic,
// right-aligned when a field holds only right-to-left text, and given back by pdftotext.
#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/Text.h"
#include "forms/FormRegistry.h"
#include "pdf/Bidi.h"
#include "pdf/GlyphCoverage.h"
#include "pdf/PdfRenderer.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

const std::string kName = "فاطمة الزهراء";

// NFKC (presentation forms back to letters), without the bidi controls poppler adds around
// right-to-left text, spaces collapsed.
std::string nfkc(const std::string& utf8) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
    icu::UnicodeString out = n->normalize(icu::UnicodeString::fromUTF8(utf8), status);
    EXPECT_TRUE(U_SUCCESS(status));
    std::string s;
    out.toUTF8String(s);
    std::string kept;
    for (char32_t cp : text::decode(s)) {
        if ((cp >= 0x202A && cp <= 0x202E) || cp == 0x200E || cp == 0x200F || (cp >= 0x2066 && cp <= 0x2069)) continue;
        kept += text::encode(cp);
    }
    return normaliseSpaces(kept);
}

service::Rendered renderExample(const std::string& form, const std::string& example, const std::string& variant,
                                const std::function<void(Poco::JSON::Object::Ptr&)>& edit) {
    service::RenderService renderer(repoCatalog());
    auto data = readJson(sourceDir() + "/examples/" + example);
    edit(data);
    service::RenderRequest req;
    req.form = form;
    req.variant = variant;
    req.data = data;
    auto r = renderer.render(req);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? r.value() : service::Rendered{};
}

void expectCleanPdf(const std::string& pdf) {
    std::string qpdf;
    EXPECT_TRUE(qpdfCheck(pdf, &qpdf)) << qpdf;
    TempDir dir;
    writeFile(dir.file("d.pdf"), pdf);
    auto text = run({"pdftotext", dir.file("d.pdf"), "-"});
    EXPECT_EQ(text.exitCode, 0);
    EXPECT_EQ(text.err, "") << "poppler warns";
    auto fonts = run({"pdffonts", dir.file("d.pdf")});
    EXPECT_EQ(fonts.err, "") << "poppler warns";
    EXPECT_NE(fonts.out.find("NotoSansArabic-Regular"), std::string::npos) << fonts.out;
}

// A grey-scale image (binary PGM, as pdftoppm -gray writes it).
struct Gray {
    int width = 0, height = 0;
    std::string pixels;
};

Gray readPgm(const std::string& bytes) {
    Gray g;
    std::istringstream in(bytes);
    std::string magic;
    int maxval = 0;
    in >> magic >> g.width >> g.height >> maxval;
    in.get();
    if (magic != "P5" || maxval != 255) return Gray{};
    g.pixels.resize(static_cast<std::size_t>(g.width) * g.height);
    in.read(g.pixels.data(), static_cast<std::streamsize>(g.pixels.size()));
    return g;
}

// A small page: the name alone, then in a table cell (right-aligned), then after a Latin label.
// `embedAll`: every text in embedded fonts (Liberation Sans for Latin), so that a rasteriser draws
// the same glyphs on any machine (base-14 Helvetica is drawn with whatever font the host substitutes).
std::string referenceDocument(bool embedAll = false) {
    layout::PageSetup setup;
    setup.width = 300;
    setup.height = 130;
    setup.marginLeft = setup.marginRight = 10;
    setup.marginTop = setup.marginBottom = 10;
    layout::PairsBlock pairs;
    pairs.rows = {{"Nom", kName}, {"Mixte", "Mme " + kName + " (mère)"}};
    layout::TableBlock table;
    table.columns = {{"Nom", 2}, {"Lien", 1}};
    table.rows = {{kName, "Demandeur"}};
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    options.embedAllFonts = embedAll;
    auto r = pdf::render({pairs, table}, setup, options);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    return r.isOk() ? r.value().bytes : std::string();
}

} // namespace

TEST(Bidi, ArabicIsShapedAndInVisualOrder) {
    auto v = pdf::bidi::toVisual(kName);
    EXPECT_TRUE(v.rightToLeft);
    // Visual order: the last letter of the logical text (hamza, U+0621) comes first, drawn leftmost.
    ASSERT_FALSE(v.text.empty());
    EXPECT_EQ(v.text.front(), U'\u0621');
    // Shaped: fa initial form (U+FED3) is drawn last (rightmost).
    EXPECT_EQ(v.text.back(), U'\uFED3');
    for (char32_t cp : v.text) EXPECT_TRUE(cp == ' ' || pdf::bidi::isArabic(cp)) << std::hex << static_cast<unsigned>(cp);
    auto mixed = pdf::bidi::toVisual("Mme " + kName);
    EXPECT_FALSE(mixed.rightToLeft);
    EXPECT_EQ(mixed.text.substr(0, 4), U"Mme ");
    EXPECT_FALSE(pdf::bidi::hasRightToLeft("Élodie « Dubœuf » Nguyễn"));
    EXPECT_TRUE(pdf::bidi::hasRightToLeft("x " + kName));
}

TEST(ArabicScript, CoverageAcceptsArabicAndStillRefusesWhatNoFontHas) {
    const std::string fonts = sourceDir() + "/fonts";
    EXPECT_EQ(pdf::firstUndrawable(kName, fonts), std::nullopt);
    EXPECT_EQ(pdf::firstUndrawable("محمد بن عبد الله، ٢٠٢٦", fonts), std::nullopt);
    EXPECT_EQ(pdf::firstUndrawable("नमस्ते", fonts), std::optional<char32_t>(0x0928)); // Devanagari: no shipped font
    EXPECT_EQ(pdf::firstUndrawable("שלום", fonts), std::nullopt); // Hebrew: Liberation Sans, reordered
    EXPECT_EQ(pdf::firstUndrawable(kName + " 😀", fonts), std::optional<char32_t>(0x1F600));
}

TEST(ArabicScript, FicheNavetteWithAnArabicNameGivesTheNameBack) {
    auto r = renderExample("fiche-navette", "fiche-navette-association-vers-bailleur.json", "", [](Poco::JSON::Object::Ptr& d) {
        d->getObject("menage")->getArray("composition")->getObject(0)->set("nom", kName);
    });
    ASSERT_FALSE(r.bytes.empty());
    expectCleanPdf(r.bytes);
    const std::string text = nfkc(pdfToText(r.bytes));
    EXPECT_NE(text.find(kName), std::string::npos) << text.substr(0, 2000);
    EXPECT_NE(text.find("Samira"), std::string::npos); // the first name beside it, in Helvetica
    // A subset, not the whole font: the document stays small.
    EXPECT_LT(r.bytes.size(), 30000u);
}

TEST(ArabicScript, GrilleWithAnArabicHouseholdMemberGivesTheNameBack) {
    auto r = renderExample("grille-capacite-habiter", "grille-capacite-habiter-cotes-darmor-initiale.json", "cotes-darmor",
                           [](Poco::JSON::Object::Ptr& d) {
                               auto member = d->getObject("menage")->getArray("composition")->getObject(0);
                               member->set("nom", std::string("الزهراء"));
                               member->set("prenom", std::string("فاطمة"));
                           });
    ASSERT_FALSE(r.bytes.empty());
    expectCleanPdf(r.bytes);
    const std::string text = nfkc(pdfToText(r.bytes));
    EXPECT_NE(text.find("الزهراء"), std::string::npos) << text.substr(0, 2000);
    EXPECT_NE(text.find("فاطمة"), std::string::npos);
}

TEST(ArabicScript, RightToLeftOnlyValuesAreRightAlignedInTheirBox) {
    const std::string pdf = referenceDocument();
    ASSERT_FALSE(pdf.empty());
    TempDir dir;
    writeFile(dir.file("d.pdf"), pdf);
    auto bbox = run({"pdftotext", "-bbox", dir.file("d.pdf"), "-"});
    ASSERT_EQ(bbox.exitCode, 0);
    // The words of the name in the pairs row end at the right margin (300 - 10), not at the label column.
    double maxRight = 0, cellRight = 0;
    std::istringstream lines(bbox.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("<word") == std::string::npos) continue;
        auto attr = [&](const char* key) { auto at = line.find(key); return at == std::string::npos ? -1.0 : std::atof(line.c_str() + at + std::strlen(key) + 2); };
        std::string word = line.substr(line.find('>') + 1);
        word = word.substr(0, word.find('<'));
        bool arabic = false;
        for (char32_t cp : text::decode(word)) arabic = arabic || pdf::bidi::isArabic(cp);
        if (!arabic) continue;
        if (attr("yMin") < 12) maxRight = std::max(maxRight, attr("xMax"));                // the first pairs row
        else if (attr("yMin") > 50) cellRight = std::max(cellRight, attr("xMax"));        // the table cell
    }
    EXPECT_NEAR(maxRight, 290.0, 1.5) << bbox.out;      // value box: up to the right margin
    EXPECT_NEAR(cellRight, 10 + 280.0 * 2 / 3 - 3, 1.5); // first column, less its padding
}

// The rendering, every font embedded, compared with a reference image kept under tests/ (tolerant: anti-aliasing and
// rasteriser versions may move a few pixels; missing glyphs, boxes or a wrong order would not pass).
// PASSERELLE_UPDATE_REFERENCE=1 writes the reference again (look at it before committing).
TEST(ArabicScript, RenderingMatchesTheReferenceImage) {
    const std::string pdf = referenceDocument(/*embedAll=*/true);
    ASSERT_FALSE(pdf.empty());
    TempDir dir;
    writeFile(dir.file("d.pdf"), pdf);
    auto ppm = run({"pdftoppm", "-r", "120", "-gray", dir.file("d.pdf"), dir.file("page")});
    ASSERT_EQ(ppm.exitCode, 0) << ppm.err;
    EXPECT_EQ(ppm.err, "");
    const std::string rendered = readFile(dir.file("page-1.pgm"));
    const std::string refPath = sourceDir() + "/tests/pdf/reference/arabic-name.pgm";
    if (std::getenv("PASSERELLE_UPDATE_REFERENCE")) writeFile(refPath, rendered);
    Gray got = readPgm(rendered), want = readPgm(readFile(refPath));
    ASSERT_GT(want.width, 0) << "missing reference " << refPath;
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    std::size_t differing = 0, inked = 0;
    for (std::size_t i = 0; i < got.pixels.size(); ++i) {
        int a = static_cast<unsigned char>(got.pixels[i]), b = static_cast<unsigned char>(want.pixels[i]);
        if (b < 128) ++inked;
        if (std::abs(a - b) > 96) ++differing;
    }
    EXPECT_GT(inked, 500u) << "the reference holds text";
    EXPECT_LT(static_cast<double>(differing) / static_cast<double>(inked), 0.02)
        << differing << " of " << inked << " inked pixels differ";
}

