// The PDF renderer: metadata, fonts embedded for PDF/A, pages handed over as they are laid out.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "layout/Layout.h"
#include "pdf/PdfRenderer.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

// Collects what the layout hands over, page by page.
class Collect : public layout::PageSink {
public:
    void body(std::size_t index, layout::Page&& page) override {
        EXPECT_EQ(index, bodies.size()) << "pages in order";
        bodies.push_back(std::move(page));
    }
    void running(std::size_t index, layout::Page&& page) override {
        EXPECT_LT(index, bodies.size()) << "running elements after every body";
        runnings.push_back(std::move(page));
    }
    std::vector<layout::Page> bodies, runnings;
};

std::string describe(const layout::Item& it) {
    std::ostringstream out;
    out << static_cast<int>(it.kind) << " " << it.x << " " << it.y << " " << it.w << " " << it.h << " " << it.text << " "
        << it.size << " " << it.gray << " " << it.boxWidth;
    return out.str();
}

} // namespace

// Drawing each page as soon as it is laid out changes nothing in the pages.
TEST(PageSink, PagesHandedOverAreThePagesOfTheDocument) {
    layout::TableBlock t;
    t.columns = {{"N°", 1}, {"Libellé", 4}};
    for (int i = 0; i < 300; ++i) t.rows.push_back({std::to_string(i), "ligne " + std::to_string(i) + " avec un texte assez long pour passer à la ligne dans sa cellule"});
    layout::PageSetup setup;
    setup.headerLeft = "En-tête";
    setup.footer = "page {page} / {pages}";
    std::vector<layout::Block> blocks{layout::HeadingBlock{"Actions", 1}, t, layout::ParagraphBlock{"", "Fin.", false}};
    layout::FixedWidthMetrics metrics;
    layout::Document whole = layout::paginate(blocks, setup, metrics);
    Collect sink;
    std::size_t pages = layout::paginate(blocks, setup, metrics, sink);
    ASSERT_GT(pages, 5u);
    ASSERT_EQ(pages, whole.pages.size());
    ASSERT_EQ(sink.bodies.size(), pages);
    ASSERT_EQ(sink.runnings.size(), pages);
    for (std::size_t i = 0; i < pages; ++i) {
        std::vector<std::string> expected, got;
        for (const auto& it : whole.pages[i].items) expected.push_back(describe(it));
        for (const auto& it : sink.bodies[i].items) got.push_back(describe(it));
        for (const auto& it : sink.runnings[i].items) got.push_back(describe(it));
        EXPECT_EQ(got, expected) << "page " << i + 1;
    }
    // And the PDF drawn that way has every row and the page count in its footers.
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    auto r = pdf::render(blocks, setup, options);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    const std::string text = normaliseSpaces(pdfToText(r.value().bytes));
    for (int i = 0; i < 300; i += 37) EXPECT_NE(text.find("ligne " + std::to_string(i) + " avec"), std::string::npos) << i;
    EXPECT_NE(text.find("page 1 / " + std::to_string(r.value().pages)), std::string::npos);
    EXPECT_EQ(pdfPageCount(r.value().bytes), r.value().pages);
    EXPECT_TRUE(qpdfCheck(r.value().bytes));
}

TEST(PdfMetadata, InfoStringsAreUtf16AndTheCatalogHasTheLanguage) {
    layout::ParagraphBlock p;
    p.text = "Texte";
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    options.title = "Grille d’appréciation de la capacité à habiter";
    options.subject = "GCH-0123456789";
    auto r = pdf::render({p}, layout::PageSetup{}, options);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    TempDir dir;
    writeFile(dir.file("d.pdf"), r.value().bytes);
    auto info = run({"pdfinfo", dir.file("d.pdf")});
    EXPECT_EQ(info.err, "");
    EXPECT_NE(info.out.find("Title:           Grille d’appréciation de la capacité à habiter\n"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("Subject:         GCH-0123456789\n"), std::string::npos) << info.out;
    // The catalog (the trailer's /Root) carries the language of the text.
    auto trailer = run({"qpdf", "--show-object=trailer", dir.file("d.pdf")});
    auto at = trailer.out.find("/Root ");
    ASSERT_NE(at, std::string::npos) << trailer.out;
    const std::string rootObject = std::to_string(std::atoi(trailer.out.c_str() + at + 6));
    auto catalog = run({"qpdf", "--show-object=" + rootObject, dir.file("d.pdf")});
    EXPECT_NE(catalog.out.find("/Type /Catalog"), std::string::npos) << catalog.out;
    EXPECT_NE(catalog.out.find("/Lang (fr-FR)"), std::string::npos) << catalog.out;
    EXPECT_TRUE(qpdfCheck(r.value().bytes));
}

TEST(PdfFonts, EmbedAllFontsLeavesNoBase14Font) {
    service::RenderService renderer(repoCatalog());
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    req.embedAllFonts = true;
    auto r = renderer.render(req);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    TempDir dir;
    writeFile(dir.file("d.pdf"), r.value().bytes);
    auto fonts = run({"pdffonts", dir.file("d.pdf")});
    EXPECT_EQ(fonts.err, "");
    EXPECT_EQ(fonts.out.find("Helvetica"), std::string::npos) << fonts.out;
    EXPECT_NE(fonts.out.find("LiberationSans"), std::string::npos) << fonts.out;
    std::istringstream lines(fonts.out);
    int rows = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("name", 0) == 0 || line.rfind("---", 0) == 0) continue;
        ++rows;
        EXPECT_NE(line.find(" yes yes yes "), std::string::npos) << "embedded, subset, with ToUnicode: " << line;
    }
    EXPECT_GE(rows, 2);
    std::string qpdf;
    EXPECT_TRUE(qpdfCheck(r.value().bytes, &qpdf)) << qpdf;
    // Same layout as with Helvetica (metric-compatible), same text.
    req.embedAllFonts = false;
    auto plain = renderer.render(req);
    ASSERT_TRUE(plain.isOk());
    EXPECT_EQ(pdfToText(r.value().bytes, /*layout=*/true), pdfToText(plain.value().bytes, /*layout=*/true));
}

// A document past the page bound is refused whole, with the limit named; under it, it renders.
TEST(PdfBounds, DocumentPastThePageLimitIsRefusedNotCut) {
    layout::TableBlock t;
    t.columns = {{"N°", 1}, {"Libellé", 4}};
    for (int i = 0; i < 300; ++i) t.rows.push_back({std::to_string(i), "ligne " + std::to_string(i) + " avec un texte assez long pour passer à la ligne"});
    std::vector<layout::Block> blocks{layout::HeadingBlock{"Actions", 1}, t};
    layout::PageSetup setup;
    pdf::PdfOptions o;
    o.fontsDir = sourceDir() + "/fonts";
    auto whole = pdf::render(blocks, setup, o);
    ASSERT_TRUE(whole.isOk()) << whole.status().toString();
    ASSERT_GT(whole.value().pages, 3);
    o.maxPages = 3;
    auto cut = pdf::render(blocks, setup, o);
    ASSERT_FALSE(cut.isOk());
    EXPECT_EQ(cut.status().code(), Status::Code::PayloadTooLarge);
    EXPECT_EQ(cut.status().errorCode(), "document_too_large");
    EXPECT_NE(cut.status().message().find("plus de 3 pages"), std::string::npos) << cut.status().message();
    o.maxPages = 2000;
    o.maxBytes = 1024; // far below this document's size
    auto big = pdf::render(blocks, setup, o);
    ASSERT_FALSE(big.isOk());
    EXPECT_EQ(big.status().errorCode(), "document_too_large");
}

// Windows-1252 text is written straight into the content stream (not through HPDF_Page_TextOut):
// every line starts where the layout put it, on every page, and characters that a PDF string must
// escape or that lie outside ASCII read back as they were written.
TEST(PdfText, HelveticaLinesAreDrawnWhereTheLayoutPutThemAndReadBackExactly) {
    const std::string hostile = "Parenthèses (a) et ((b), barre \\ oblique, 1 234,56 €, « guillemets » – tiret, œuvre, ÿ";
    layout::TableBlock t;
    t.columns = {{"N°", 1}, {"Libellé", 4, layout::Align::Right}};
    for (int i = 0; i < 120; ++i) t.rows.push_back({std::to_string(i), "ligne " + std::to_string(i) + (i % 7 == 0 ? " " + hostile : "")});
    layout::PageSetup setup;
    setup.footer = "page {page} / {pages}";
    std::vector<layout::Block> blocks{layout::HeadingBlock{"Titre (essai) \\ é", 1}, layout::ParagraphBlock{"Note", hostile, false}, t};
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    auto laid = pdf::layOut(blocks, setup, options);
    ASSERT_TRUE(laid.isOk()) << laid.status().toString();
    auto r = pdf::render(blocks, setup, options);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    ASSERT_FALSE(r.value().embeddedFont);
    ASSERT_GT(r.value().pages, 2);
    EXPECT_TRUE(qpdfCheck(r.value().bytes));

    const std::string text = normaliseSpaces(pdfToText(r.value().bytes));
    EXPECT_NE(text.find("Titre (essai) \\ é"), std::string::npos) << text;
    EXPECT_NE(text.find(hostile), std::string::npos) << text;

    // The first word of each body line, page by page, from pdftotext -bbox: its left edge is the item's x.
    TempDir dir;
    writeFile(dir.file("d.pdf"), r.value().bytes);
    auto bbox = run({"pdftotext", "-bbox", dir.file("d.pdf"), "-"});
    ASSERT_EQ(bbox.exitCode, 0);
    std::vector<std::vector<std::pair<std::string, double>>> words(1);
    std::istringstream lines(bbox.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("</page>") != std::string::npos) words.emplace_back();
        auto at = line.find("<word xMin=\"");
        if (at == std::string::npos) continue;
        std::string word = line.substr(line.find('>') + 1);
        word = word.substr(0, word.find('<'));
        words.back().push_back({word, std::atof(line.c_str() + at + 12)});
    }
    std::size_t checked = 0;
    for (std::size_t p = 0; p < laid.value().pages.size(); ++p) {
        ASSERT_LT(p, words.size());
        for (const auto& it : laid.value().pages[p].items) {
            if (it.kind != layout::Item::Kind::Text || it.text.empty() || it.role == layout::Item::Role::Running) continue;
            std::string first = it.text.substr(0, it.text.find(' '));
            if (first.find_first_of("&<>\"") != std::string::npos) continue; // pdftotext writes these as entities
            bool found = false;
            for (const auto& [w, x] : words[p])
                if (w == first && std::abs(x - it.x) < 0.2) found = true;
            EXPECT_TRUE(found) << "page " << p + 1 << ": « " << first << " » at x = " << it.x;
            ++checked;
        }
    }
    EXPECT_GT(checked, 240u);
}
