// svg/SvgPages: each page of a document as an SVG image, drawn from the PDF backend's own layout.
//  - every page is well-formed XML (Poco::XML's DOM parser) with a white page of the PDF's size;
//  - the pages hold exactly the PDF's words, page by page (pdftotext, white space aside), and as
//    many pages as the PDF: a fiche navette and a contrat d'objectifs whose long texts wrap over
//    several pages;
//  - each text is where the PDF layout puts it (x, baseline) and as wide as the PDF font makes it;
//  - the household's data is escaped (<script>, &, quotes), nothing scriptable is produced;
//  - Arabic script keeps the PDF's shaped, visual order, right-aligned as in the PDF.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <Poco/DOM/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/NamedNodeMap.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/SAX/InputSource.h>

#include "pdf/PdfRenderer.h"
#include "service/PageRenditions.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"
#include "storage/ApiKeys.h"
#include "svg/SvgPages.h"

namespace passerelle {
namespace {

using Poco::XML::AutoPtr;
using Poco::XML::Element;

AutoPtr<Poco::XML::Document> parseXml(const std::string& svg) {
    Poco::XML::DOMParser parser;
    return parser.parseString(svg); // throws on anything not well-formed
}

struct SvgText {
    double x = 0, y = 0, textLength = 0;
    std::string text, fontFamily, direction;
};

std::vector<SvgText> textsOf(const Poco::XML::Document& doc) {
    std::vector<SvgText> out;
    AutoPtr<Poco::XML::NodeList> nodes = doc.getElementsByTagName("text");
    for (unsigned long i = 0; i < nodes->length(); ++i) {
        auto* e = static_cast<Element*>(nodes->item(i));
        SvgText t;
        t.x = std::stod(e->getAttribute("x"));
        t.y = std::stod(e->getAttribute("y"));
        if (e->hasAttribute("textLength")) t.textLength = std::stod(e->getAttribute("textLength"));
        t.text = e->innerText();
        t.fontFamily = e->getAttribute("font-family");
        t.direction = e->getAttribute("direction");
        out.push_back(t);
    }
    return out;
}

// Every element name of the document.
void elementNames(const Poco::XML::Node* n, std::set<std::string>& names, std::set<std::string>& attributes) {
    for (const Poco::XML::Node* c = n->firstChild(); c; c = c->nextSibling()) {
        if (c->nodeType() != Poco::XML::Node::ELEMENT_NODE) continue;
        names.insert(c->nodeName());
        AutoPtr<Poco::XML::NamedNodeMap> attrs = c->attributes();
        for (unsigned long i = 0; i < attrs->length(); ++i) attributes.insert(attrs->item(i)->nodeName());
        elementNames(c, names, attributes);
    }
}

std::vector<std::string> sortedWords(const std::string& text) {
    std::vector<std::string> words;
    std::istringstream in(testing::normaliseSpaces(text));
    for (std::string w; in >> w;) words.push_back(w);
    std::sort(words.begin(), words.end());
    return words;
}

std::vector<std::string> splitPages(const std::string& text) {
    std::vector<std::string> pages;
    std::size_t start = 0;
    for (std::size_t ff; (ff = text.find('\f', start)) != std::string::npos; start = ff + 1) pages.push_back(text.substr(start, ff - start));
    if (start < text.size() && !testing::normaliseSpaces(text.substr(start)).empty() &&
        testing::normaliseSpaces(text.substr(start)) != " ")
        pages.push_back(text.substr(start));
    return pages;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? " " : "") + s;
    return out;
}

struct Case {
    std::string name, form, example;
    std::function<void(Poco::JSON::Object::Ptr&)> edit;
    int minPages;
};

class SvgPagesTest : public ::testing::Test {
protected:
    service::RenderService renderer{testing::repoCatalog()};

    service::RenderedPages renderPages(const Case& c) {
        auto data = testing::readJson(testing::sourceDir() + "/examples/" + c.example);
        if (c.edit) c.edit(data);
        auto filled = renderer.validate(c.form, data);
        EXPECT_TRUE(filled.isOk()) << c.name << ": " << filled.status().toString();
        if (!filled.isOk()) return {};
        service::RenderRequest req;
        req.form = c.form;
        req.format = "pdf";
        req.data = data;
        req.documentId = "doc_0123456789abcdef-r1";
        auto r = renderer.renderFilledWithPages(filled.value(), req);
        EXPECT_TRUE(r.isOk()) << c.name << ": " << r.status().toString();
        return r.isOk() ? r.take() : service::RenderedPages{};
    }
};

const std::string LONG_TEXT =
    "Le ménage a repris le paiement du loyer résiduel ; un plan d’apurement sur dix-huit mois est proposé au bailleur, "
    "avec un point d’étape mensuel en présence de la référente « logement d’abord ».";

std::vector<Case> documents() {
    return {
        {"fiche navette, situation longue", "fiche-navette", "fiche-navette-association-vers-bailleur.json",
         [](Poco::JSON::Object::Ptr& d) { d->getObject("situation")->set("loyerDette", repeat(LONG_TEXT, 25)); }, 2},
        {"contrat d'objectifs, objectifs longs", "contrat-objectifs", "contrat-objectifs-amli-acces.json",
         [](Poco::JSON::Object::Ptr& d) {
             auto e = d->getObject("engagements");
             for (const std::string key : {"menage", "association", "bailleur"}) e->set(key, repeat(LONG_TEXT, 20));
         },
         3},
    };
}

TEST_F(SvgPagesTest, EveryPageIsWellFormedSvgHoldingThePdfsWordsPageByPage) {
    for (const Case& c : documents()) {
        service::RenderedPages r = renderPages(c);
        ASSERT_FALSE(r.pdf.bytes.empty()) << c.name;
        const int pdfPages = testing::pdfPageCount(r.pdf.bytes);
        ASSERT_GE(pdfPages, c.minPages) << c.name << ": the long text should run over several pages";
        ASSERT_EQ(static_cast<int>(r.svgPages.size()), pdfPages) << c.name;
        ASSERT_EQ(r.pdf.pages, pdfPages) << c.name;
        const std::vector<std::string> pdfText = splitPages(testing::pdfToText(r.pdf.bytes));
        ASSERT_EQ(static_cast<int>(pdfText.size()), pdfPages) << c.name;
        for (std::size_t p = 0; p < r.svgPages.size(); ++p) {
            const std::string where = c.name + ", page " + std::to_string(p + 1);
            AutoPtr<Poco::XML::Document> doc;
            try {
                doc = parseXml(r.svgPages[p]);
            } catch (const Poco::Exception& e) {
                FAIL() << where << ": not well-formed XML: " << e.displayText();
            }
            Element* root = doc->documentElement();
            ASSERT_EQ(root->nodeName(), "svg") << where;
            EXPECT_EQ(root->namespaceURI(), "http://www.w3.org/2000/svg") << where;
            EXPECT_EQ(root->getAttribute("viewBox"), "0 0 595.28 841.89") << where << ": A4 in PDF points";
            // The white page first.
            AutoPtr<Poco::XML::NodeList> rects = doc->getElementsByTagName("rect");
            ASSERT_GT(rects->length(), 0u) << where;
            auto* page = static_cast<Element*>(rects->item(0));
            EXPECT_EQ(page->getAttribute("fill"), "#ffffff") << where;
            EXPECT_EQ(page->getAttribute("width"), "595.28") << where;
            // The same words as the PDF's page (pdftotext), white space aside.
            std::string svgText;
            for (const auto& t : textsOf(*doc)) svgText += t.text + " ";
            EXPECT_EQ(sortedWords(svgText), sortedWords(pdfText[p])) << where;
            EXPECT_NE(r.svgPages[p].find("page " + std::to_string(p + 1) + " sur " + std::to_string(pdfPages)), std::string::npos)
                << where << ": its title";
        }
    }
}

TEST_F(SvgPagesTest, EachTextIsWhereThePdfLayoutPutsItAndAsWide) {
    // The PDF layout of a document with ruled tables, boxes, a long paragraph and signature boxes.
    std::vector<layout::Block> blocks{
        layout::TitleBlock{"Fiche navette", "Association vers bailleur"},
        layout::PairsBlock{{{"Nom", "Samira Benali"}, {"Adresse", "8 allée des Tilleuls, bâtiment C"}}},
        layout::ParagraphBlock{"Situation", repeat(LONG_TEXT, 4)},
        layout::TableBlock{"Budget", {{"Poste", 2.0}, {"Montant", 1.0, layout::Align::Right}}, {{"Loyer", "512,40 €"}, {"APL", "−231,00 €"}}},
        layout::SignatureBlock{{{"Le ménage", "Samira Benali", {"Lu et approuvé"}}}, "Fait au Mans, le 22/11/2026"},
    };
    layout::PageSetup setup;
    setup.footer = "Page {page} sur {pages}";
    pdf::PdfOptions po;
    po.fontsDir = testing::sourceDir() + "/fonts";
    auto laid = pdf::layOut(blocks, setup, po);
    ASSERT_TRUE(laid.isOk()) << laid.status().toString();
    auto svg = svg::render(blocks, setup, po, {"Fiche navette"});
    ASSERT_TRUE(svg.isOk()) << svg.status().toString();
    ASSERT_EQ(svg.value().size(), laid.value().pages.size());
    // The widths as the PDF measures them: the same as the layout's metrics.
    auto placed = pdf::place(blocks, setup, po);
    ASSERT_TRUE(placed.isOk());
    for (std::size_t p = 0; p < svg.value().size(); ++p) {
        AutoPtr<Poco::XML::Document> doc = parseXml(svg.value()[p]);
        const auto texts = textsOf(*doc);
        std::vector<const layout::Item*> expected;
        for (const auto& it : laid.value().pages[p].items)
            if (it.kind == layout::Item::Kind::Text && !it.text.empty()) expected.push_back(&it);
        ASSERT_EQ(texts.size(), expected.size()) << "page " << p + 1;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            EXPECT_EQ(texts[i].text, expected[i]->text) << "page " << p + 1 << " item " << i;
            EXPECT_NEAR(texts[i].x, expected[i]->x, 0.005) << expected[i]->text;
            EXPECT_NEAR(texts[i].y, expected[i]->y, 0.005) << expected[i]->text << ": the baseline";
        }
        std::size_t k = 0;
        for (std::size_t i = 0; i < placed.value()[p].runs.size(); ++i)
            for (const auto& run : placed.value()[p].runs[i]) {
                ASSERT_LT(k, texts.size());
                EXPECT_NEAR(texts[k].textLength, run.width, 0.005) << run.text;
                EXPECT_GT(run.width, 0) << run.text;
                ++k;
            }
        // Rules and boxes: each line and box of the layout drawn.
        std::size_t lines = 0, boxes = 0;
        for (const auto& it : laid.value().pages[p].items) {
            lines += it.kind == layout::Item::Kind::Line;
            boxes += it.kind == layout::Item::Kind::Box || it.kind == layout::Item::Kind::FilledBox;
        }
        AutoPtr<Poco::XML::NodeList> svgLines = doc->getElementsByTagName("line");
        AutoPtr<Poco::XML::NodeList> svgRects = doc->getElementsByTagName("rect");
        EXPECT_EQ(svgLines->length(), lines) << "page " << p + 1;
        EXPECT_EQ(svgRects->length(), boxes + 1) << "page " << p + 1 << ": the boxes and the white page";
    }
}

TEST_F(SvgPagesTest, HostileHouseholdDataIsEscapedAndNothingIsScriptable) {
    const std::string hostile = "<script>alert(\"x\")</script> Dupont & Fils 'O'Brien' \"guillemets\" ]]> <img src=x onerror=alert(1)>";
    Case c{"fiche navette, données hostiles", "fiche-navette", "fiche-navette-association-vers-bailleur.json",
           [&](Poco::JSON::Object::Ptr& d) {
               d->getObject("menage")->getArray("composition")->getObject(0)->set("nom", "<script>x</script> & 'O'Brien' \"q\"");
               d->getObject("situation")->set("loyerDette", hostile);
           },
           1};
    service::RenderedPages r = renderPages(c);
    ASSERT_FALSE(r.svgPages.empty());
    std::string all;
    for (std::size_t p = 0; p < r.svgPages.size(); ++p) {
        const std::string& svg = r.svgPages[p];
        EXPECT_EQ(svg.find("<script"), std::string::npos) << "page " << p + 1;
        EXPECT_EQ(svg.find("<img"), std::string::npos) << "page " << p + 1;
        AutoPtr<Poco::XML::Document> doc;
        ASSERT_NO_THROW(doc = parseXml(svg)) << "page " << p + 1;
        std::set<std::string> names, attributes;
        elementNames(doc.get(), names, attributes);
        for (const auto& n : names)
            EXPECT_TRUE(n == "svg" || n == "title" || n == "rect" || n == "line" || n == "text") << "element " << n;
        for (const auto& a : attributes) {
            EXPECT_NE(a.rfind("on", 0), 0u) << "attribute " << a;
            EXPECT_EQ(a.find("href"), std::string::npos) << "attribute " << a;
        }
        for (const auto& t : textsOf(*doc)) all += t.text + " ";
    }
    EXPECT_NE(all.find("<script>alert(\"x\")</script>"), std::string::npos) << "the text itself survives, as text: " << all;
    EXPECT_NE(all.find("Dupont & Fils 'O'Brien' \"guillemets\""), std::string::npos) << all;
    std::string raw;
    for (const auto& svg : r.svgPages) raw += svg;
    EXPECT_NE(raw.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(raw.find("&lt;script&gt;x&lt;/script&gt; &amp; &#39;O&#39;Brien&#39; &quot;q&quot;"), std::string::npos);
    // The same words as the PDF.
    std::string pdfAll = testing::pdfToText(r.pdf.bytes);
    EXPECT_EQ(sortedWords(all), sortedWords(pdfAll));
}

TEST(SvgEscapeTest, CharactersXmlCannotCarryBecomeReplacementCharacters) {
    const std::string s = std::string("a\x01") + "b\xC3" + "c\xEF\xBF\xBF" + "d\t\xF0\x9F\x8F\xA0" + "e\xC0\xAF";
    const std::string out = svg::escapeXml(s);
    EXPECT_EQ(out, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d\t\xF0\x9F\x8F\xA0" "e\xEF\xBF\xBD\xEF\xBF\xBD");
    layout::PageSetup setup;
    std::vector<pdf::PlacedPage> pages(1);
    layout::Item it;
    it.kind = layout::Item::Kind::Text;
    it.text = s;
    pages[0].page.items.push_back(it);
    pages[0].runs.push_back({{10, 20, s, false}});
    auto svg = svg::drawPages(pages, setup.width, setup.height, {"<Titre> & \"co\""});
    ASSERT_EQ(svg.size(), 1u);
    EXPECT_NO_THROW(parseXml(svg[0]));
    EXPECT_NE(svg[0].find("<title>&lt;Titre&gt; &amp; &quot;co&quot; \u2014 page 1 sur 1</title>"), std::string::npos) << svg[0];
}

TEST(SvgArabicTest, ArabicScriptKeepsThePdfsVisualOrderAndRightAlignment) {
    const std::string name = "فاطمة الزهراء";
    std::vector<layout::Block> blocks{layout::PairsBlock{{{"Nom", name}}}};
    layout::PageSetup setup;
    pdf::PdfOptions po;
    po.fontsDir = testing::sourceDir() + "/fonts";
    auto placed = pdf::place(blocks, setup, po);
    ASSERT_TRUE(placed.isOk()) << placed.status().toString();
    const pdf::TextRun* arabic = nullptr;
    const layout::Item* item = nullptr;
    for (std::size_t i = 0; i < placed.value()[0].runs.size(); ++i)
        for (const auto& run : placed.value()[0].runs[i])
            if (run.arabic) { arabic = &run; item = &placed.value()[0].page.items[i]; }
    ASSERT_NE(arabic, nullptr);
    EXPECT_NE(arabic->text, name) << "shaped and in visual order, as the PDF draws it";
    if (item->boxWidth > arabic->width) EXPECT_NEAR(arabic->x + arabic->width, item->x + item->boxWidth, 0.01) << "right-aligned";
    auto svg = svg::drawPages(placed.value(), setup.width, setup.height, {});
    AutoPtr<Poco::XML::Document> doc = parseXml(svg[0]);
    bool found = false;
    for (const auto& t : textsOf(*doc))
        if (t.text == arabic->text) {
            found = true;
            EXPECT_NE(t.fontFamily.find("Noto Sans Arabic"), std::string::npos);
            EXPECT_EQ(t.direction, "ltr") << "already in visual order: drawn left to right";
            EXPECT_NEAR(t.x, arabic->x, 0.005);
        }
    EXPECT_TRUE(found);
}

// service::PageRenditions: pages only for the stored PDF a fresh render gives, cached within bounds.
class PageRenditionsTest : public SvgPagesTest {
protected:
    std::shared_ptr<const service::RenderService> shared = std::make_shared<const service::RenderService>(testing::repoCatalog());

    service::RenderRequest request(const std::string& nom) {
        auto data = testing::readJson(testing::sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
        data->getObject("menage")->getArray("composition")->getObject(0)->set("nom", nom);
        service::RenderRequest req;
        req.form = "fiche-navette";
        req.format = "pdf";
        req.data = data;
        req.documentId = "doc_0123456789abcdef-r1";
        return req;
    }
    std::string stored(const service::RenderRequest& req) {
        auto r = shared->render(req);
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.isOk() ? r.value().bytes : "";
    }
};

TEST_F(PageRenditionsTest, PagesOnlyForTheStoredPdfAFreshRenderGives) {
    service::PageRenditions renditions(shared);
    const auto req = request("Benali");
    const std::string pdf = stored(req);
    auto set = renditions.pages(req, pdf);
    ASSERT_TRUE(set.isOk()) << set.status().toString();
    EXPECT_EQ(set.value()->pdfSha256, storage::sha256Hex(pdf));
    EXPECT_EQ(static_cast<int>(set.value()->pages.size()), testing::pdfPageCount(pdf));
    EXPECT_NEAR(set.value()->widthPt, 595.276, 0.001);
    EXPECT_EQ(renditions.renders(), 1u);
    ASSERT_TRUE(renditions.pages(req, pdf).isOk());
    EXPECT_EQ(renditions.renders(), 1u) << "the second time from the cache";
    // Bytes a fresh render does not give (one byte changed, or another document's data): no pages.
    std::string tampered = pdf;
    tampered[tampered.size() / 2] ^= 0x01;
    auto refused = renditions.pages(req, tampered);
    ASSERT_FALSE(refused.isOk());
    EXPECT_EQ(refused.status().errorCode(), "pages_unverified");
    EXPECT_EQ(refused.status().code(), Status::Code::FailedPrecondition);
    const std::size_t before = renditions.renders();
    EXPECT_FALSE(renditions.pages(req, tampered).isOk());
    EXPECT_EQ(renditions.renders(), before) << "a mismatch is remembered";
    // Another document's data against these bytes: the fresh render differs, no pages.
    service::PageRenditions fresh(shared);
    auto mismatch = fresh.pages(request("Dupont"), pdf);
    EXPECT_FALSE(mismatch.isOk());
    EXPECT_EQ(fresh.renders(), 1u);
}

TEST_F(PageRenditionsTest, TheCacheStaysWithinItsBoundEvictingTheOldest) {
    const auto a = request("Benali"), b = request("Dupont");
    const std::string pdfA = stored(a), pdfB = stored(b);
    std::size_t one = 0;
    {
        service::PageRenditions probe(shared);
        auto set = probe.pages(a, pdfA);
        ASSERT_TRUE(set.isOk());
        one = set.value()->bytes();
        EXPECT_EQ(probe.cachedBytes(), one);
    }
    service::PageRenditions renditions(shared, one + one / 2); // room for one set only
    ASSERT_TRUE(renditions.pages(a, pdfA).isOk());
    ASSERT_TRUE(renditions.pages(b, pdfB).isOk());
    EXPECT_LE(renditions.cachedBytes(), one + one / 2);
    EXPECT_EQ(renditions.find(pdfA), nullptr) << "the oldest was evicted";
    EXPECT_NE(renditions.find(pdfB), nullptr);
    EXPECT_EQ(renditions.renders(), 2u);
    ASSERT_TRUE(renditions.pages(a, pdfA).isOk());
    EXPECT_EQ(renditions.renders(), 3u) << "rendered again once evicted";
    // A set larger than the whole cache is given but not kept.
    service::PageRenditions tiny(shared, 16);
    ASSERT_TRUE(tiny.pages(a, pdfA).isOk());
    EXPECT_EQ(tiny.cachedBytes(), 0u);
    EXPECT_EQ(tiny.find(pdfA), nullptr);
}

} // namespace
} // namespace passerelle
