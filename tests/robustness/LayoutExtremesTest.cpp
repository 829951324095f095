// Layout extremes through the real PDF backend (libharu, exact metrics): every value is in the
// extracted text, whole; scripts the fonts cannot draw are refused with the field's path.
#include <gtest/gtest.h>

#include <chrono>

#include "forms/FormRegistry.h"
#include "pdf/GlyphCoverage.h"
#include "pdf/PdfRenderer.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

std::string withoutSpaces(const std::string& s) {
    std::string out;
    for (char c : normaliseSpaces(s)) if (c != ' ') out.push_back(c);
    return out;
}

pdf::PdfResult renderBlocks(const std::vector<layout::Block>& blocks) {
    layout::PageSetup setup;
    setup.headerLeft = "Essai de mise en page";
    setup.footer = "Essai — page {page} sur {pages}";
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    auto t0 = std::chrono::steady_clock::now();
    auto r = pdf::render(blocks, setup, options);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
    EXPECT_TRUE(r.isOk()) << r.status().toString();
    if (!r.isOk()) return {};
    std::string out;
    EXPECT_TRUE(qpdfCheck(r.value().bytes, &out)) << out;
    return r.value();
}

std::string word(std::size_t n, const std::string& unit = "x") {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += unit[0] == 'x' ? std::string(1, static_cast<char>('a' + i % 26)) : unit;
    return s;
}

} // namespace

TEST(LayoutExtremes, TwentyThousandCharacterWordInATableCellIsWhole) {
    const std::string w = word(20000);
    layout::TableBlock t;
    t.columns = {{"Action", 3}, {"Porteur", 1}};
    t.rows = {{w, "ADGESTI"}, {"suite", "fin"}};
    auto pdf = renderBlocks({t});
    EXPECT_GT(pdf.pages, 1);
    // The word is broken over lines and pages; glued back (no header, no footer), it is all there.
    // The header row repeats on each page and the second cell sits beside the first line: take them out.
    std::string body = withoutSpaces(pdfBodyText(pdf.bytes));
    for (const std::string& repeated : {std::string("ActionPorteur"), std::string("ADGESTI")})
        for (std::size_t at; (at = body.find(repeated)) != std::string::npos;) body.erase(at, repeated.size());
    EXPECT_NE(body.find(w), std::string::npos) << body.substr(0, 400);
}

TEST(LayoutExtremes, SixThousandCharacterValueInAPairIsWhole) {
    std::string value;
    for (int i = 0; value.size() < 6000; ++i) value += "mot" + std::to_string(i) + " ";
    value.resize(6000);
    layout::PairsBlock p;
    p.rows = {{"Situation budgétaire", value}, {"Après", "dernière valeur"}};
    auto pdf = renderBlocks({p});
    std::string body = normaliseSpaces(pdfBodyText(pdf.bytes));
    EXPECT_NE(withoutSpaces(body).find(withoutSpaces(value)), std::string::npos);
    EXPECT_NE(body.find("dernière valeur"), std::string::npos);
}

TEST(LayoutExtremes, FiveHundredTableRowsAreAllThere) {
    layout::TableBlock t;
    t.columns = {{"N°", 1}, {"Libellé", 4}};
    for (int i = 0; i < 500; ++i) t.rows.push_back({std::to_string(i), "ligne-" + std::to_string(i) + "-fin"});
    auto pdf = renderBlocks({t});
    EXPECT_GT(pdf.pages, 10);
    std::string body = pdfBodyText(pdf.bytes);
    for (int i = 0; i < 500; ++i) EXPECT_NE(body.find("ligne-" + std::to_string(i) + "-fin"), std::string::npos) << i;
}

TEST(LayoutExtremes, LatinScriptsOutsideWindows1252AreDrawnAndExtracted) {
    const std::vector<std::string> names = {"Łódź", "Nguyễn Thị Ánh", "Ştefan Ţăranu", "Dvořák", "Œdipe « Müller »"};
    layout::PairsBlock p;
    for (const auto& n : names) p.rows.push_back({"Nom", n});
    layout::TableBlock t;
    t.columns = {{"Nom", 1}};
    for (const auto& n : names) t.rows.push_back({n + " (tableau)"});
    auto pdf = renderBlocks({p, t});
    EXPECT_TRUE(pdf.embeddedFont);
    std::string body = normaliseSpaces(pdfBodyText(pdf.bytes));
    for (const auto& n : names) {
        EXPECT_NE(body.find(n), std::string::npos) << n;
        EXPECT_NE(body.find(n + " (tableau)"), std::string::npos) << n;
    }
}

TEST(LayoutExtremes, WhatTheFontsCannotDrawIsKnown) {
    const std::string fonts = sourceDir() + "/fonts";
    EXPECT_FALSE(pdf::firstUndrawable("Élodie « Dubœuf » 1 234,56 €", fonts));
    EXPECT_FALSE(pdf::firstUndrawable("Łódź Nguyễn Ştefan", fonts));
    EXPECT_EQ(pdf::firstUndrawable("Nguyễn 😀", fonts), std::optional<char32_t>(0x1F600));
    EXPECT_FALSE(pdf::firstUndrawable("مرحبا", fonts)); // Noto Sans Arabic, shaped
    EXPECT_EQ(pdf::firstUndrawable("नमस्ते", fonts), std::optional<char32_t>(0x0928)); // Devanagari: no shipped font
    EXPECT_EQ(pdf::firstUndrawable("a\x7f", fonts), std::optional<char32_t>(0x7F));
    EXPECT_EQ(pdf::firstUndrawable("ligne\nsuite\ttab", fonts), std::nullopt);
    // Control characters after plain ASCII, at the end or alone, are still found.
    EXPECT_EQ(pdf::firstUndrawable("Dupont\x01", fonts), std::optional<char32_t>(0x01));
    EXPECT_EQ(pdf::firstUndrawable("\x1b[31m", fonts), std::optional<char32_t>(0x1B));
    EXPECT_EQ(pdf::firstUndrawable("rue des Lilas \xC2\x85", fonts), std::optional<char32_t>(0x85));
    EXPECT_EQ(pdf::firstUndrawable("~", fonts), std::nullopt);
    EXPECT_EQ(pdf::firstUndrawable("", fonts), std::nullopt);
}

TEST(LayoutExtremes, UndrawableTextDrawnDirectlyDoesNotCrash) {
    // The backend itself never crashes on text its fonts lack (RenderService refuses it before).
    layout::PairsBlock p;
    p.rows = {{"Nom", "नमस्ते दुनिया"}, {"Émoji", "😀 fin"}, {"Mêlé", "مرحبا नमस्ते 😀"}};
    layout::PageSetup setup;
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    auto r = pdf::render({p}, setup, options);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_TRUE(qpdfCheck(r.value().bytes));
}

// Through the service: a value the fonts cannot draw is refused with its path and the character,
// never printed as an empty box; the same data still goes to XLSX where the form has it.
TEST(LayoutExtremes, UndrawableCharactersAreRefusedWithTheirPath) {
    service::RenderService renderer(repoCatalog());
    auto data = readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Nguyễn 😀", "U+1F600"}, {"नमस्ते दुनिया", "U+0928"}, {"Ａ", "U+FF21"}, {"x\xEF\xBF\xBF", "U+FFFF"}};
    for (const auto& [value, code] : cases) {
        auto copy = forms::parseJsonObject(readFile(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json")).value();
        copy->getObject("logement")->set("commune", value);
        service::RenderRequest req;
        req.form = "fiche-navette";
        req.data = copy;
        auto r = renderer.render(req);
        ASSERT_FALSE(r.isOk()) << value;
        EXPECT_EQ(r.status().code(), Status::Code::InvalidArgument);
        ASSERT_EQ(r.status().details().size(), 1u) << value;
        EXPECT_EQ(r.status().details()[0].path, "/logement/commune");
        EXPECT_EQ(r.status().details()[0].rule, "unsupported_character");
        EXPECT_NE(r.status().details()[0].message.find(code), std::string::npos) << r.status().details()[0].message;
    }
    // Latin names outside Windows-1252 print, and are in the text.
    auto copy = forms::parseJsonObject(readFile(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json")).value();
    copy->getObject("logement")->set("commune", std::string("Łódź-sur-Sarthe"));
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = copy;
    auto r = renderer.render(req);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_NE(normaliseSpaces(pdfToText(r.value().bytes)).find("Łódź-sur-Sarthe"), std::string::npos);
}

TEST(LayoutExtremes, ControlCharactersAndHugeIntegersAreRefusedWithTheirPath) {
    service::RenderService renderer(repoCatalog());
    const std::string src = readFile(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    struct Case { std::string from, to, path, rule; };
    const std::vector<Case> cases = {
        {"\"commune\": \"Le Mans\"", "\"commune\": \"Le\\u007fMans\"", "/logement/commune", "control_character"},
        {"\"commune\": \"Le Mans\"", "\"commune\": \"Le\\u0085Mans\"", "/logement/commune", "control_character"},
        // 2^64: Poco 1.11 would read it as 0 and the document would print 0,00 €.
        {"\"montantDette\": ", "\"montantDette\": 18446744073709551616, \"x-ignored\": ", "/situation/montantDette", "amount_format"},
    };
    for (const auto& c : cases) {
        std::string json = src;
        auto pos = json.find(c.from);
        ASSERT_NE(pos, std::string::npos) << c.from;
        json.replace(pos, c.from.size(), c.to);
        if (c.rule == "amount_format") { // drop the original value that followed
            auto key = json.find("\"x-ignored\": ");
            auto end = json.find_first_of(",}", key);
            json.erase(key - 2, end - key + 2);
        }
        auto parsed = forms::parseJsonObject(json);
        ASSERT_TRUE(parsed.isOk()) << parsed.status().toString() << "\n" << c.to;
        service::RenderRequest req;
        req.form = "fiche-navette";
        req.data = parsed.value();
        auto r = renderer.render(req);
        ASSERT_FALSE(r.isOk()) << c.to;
        bool found = false;
        for (const auto& d : r.status().details()) found = found || (d.path == c.path && d.rule == c.rule);
        EXPECT_TRUE(found) << c.to << " → " << r.status().toString();
    }
}
