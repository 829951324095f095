// libharu 2.3.0 saves an embedded TrueType font through a memory stream of 4 096-byte buffers and
// seeks to each table's start; a last table ('prep') that is empty while the tables before it
// fill whole buffers makes that seek fail: « Erreur libharu à l'étape « enregistrement » (code
// 0x1033) ». Our single-byte subsets dropped hinting and added 'prep' empty, so 12 glyph sets
// of the 1 600 below could not be saved (found by fuzz_render: a name mixing « ễ » and a long word).
#include <gtest/gtest.h>
#include <hb.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "pdf/FontSubset.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

Result<service::Rendered> renderWithName(service::RenderService& svc, const std::string& nom) {
    service::RenderRequest req;
    req.form = "autorisation-transmission";
    req.data = readJson(sourceDir() + "/examples/autorisation-transmission-grille-affil-couple.json");
    auto personnes = req.data->getObject("menage")->getArray("personnes");
    personnes->getObject(0)->set("nom", nom);
    return svc.render(req);
}

std::string withoutSpaces(const std::string& s) {
    std::string out;
    for (char c : s)
        if (c != ' ' && c != '\n' && c != '\f' && c != '\r') out.push_back(c);
    return out;
}

} // namespace

// The fuzzer's input (fuzz/regressions/fuzz_render/libharu-empty-last-font-table), as the
// service receives it: a document, sound for qpdf, whose text holds the whole name.
TEST(FontSubsetSave, TheFuzzedNameThatLibharuCouldNotSaveRendersWhole) {
    service::RenderService svc(repoCatalog());
    const std::string nom = "Nguyễ" + std::string(60, '>') + "!?>>>>>>>n";
    auto r = renderWithName(svc, nom);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    std::string check;
    EXPECT_TRUE(qpdfCheck(r.value().bytes, &check)) << check;
    EXPECT_NE(withoutSpaces(pdfToText(r.value().bytes)).find(nom), std::string::npos);
}

// Many glyph sets, so that the fonts' sizes fall on every residue libharu's buffers can meet:
// every one renders. On the code before the fix, 12 of these 1 600 failed.
TEST(FontSubsetSave, EveryGlyphSetOfASingleByteSubsetIsSaved) {
    service::RenderService svc(repoCatalog());
    const char* extras[] = {"ễ", "ł", "ő", "ą", "ș", "ğ", "ř", "ų"};
    const char* fillers[] = {">", "!", "?", "w", "M", "(", "%", "@", "#", "&"};
    int rendered = 0;
    std::vector<std::string> failures;
    for (const char* extra : extras)
        for (const char* a : fillers)
            for (const char* b : fillers)
                for (int n : {1, 7}) {
                    const std::string nom = std::string("Nguy") + extra + std::string(a) + std::string(n, *b) + "n";
                    auto r = renderWithName(svc, nom);
                    if (r.isOk() && !r.value().bytes.empty()) ++rendered;
                    else failures.push_back(nom + " : " + r.status().toString());
                }
    EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
    EXPECT_EQ(rendered, 8 * 10 * 10 * 2);
}

namespace {

// A font file's bytes as HarfBuzz reads them.
struct Face {
    explicit Face(const std::string& bytes)
        : blob(hb_blob_create(bytes.data(), static_cast<unsigned>(bytes.size()), HB_MEMORY_MODE_DUPLICATE, nullptr, nullptr)),
          face(hb_face_create(blob, 0)), font(hb_font_create(face)) {}
    ~Face() {
        hb_font_destroy(font);
        hb_face_destroy(face);
        hb_blob_destroy(blob);
    }
    unsigned glyph(hb_codepoint_t cp) const {
        hb_codepoint_t g = 0;
        hb_font_get_nominal_glyph(font, cp, &g);
        return g;
    }
    hb_glyph_extents_t extents(unsigned g) const {
        hb_glyph_extents_t e{};
        hb_font_get_glyph_extents(font, g, &e);
        return e;
    }
    bool drawn(unsigned g) const { return extents(g).width != 0 || extents(g).height != 0; }
    hb_blob_t* blob;
    hb_face_t* face;
    hb_font_t* font;
};

std::uint32_t wholeFileChecksum(const std::string& b) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < b.size(); i += 4) {
        std::uint32_t word = 0;
        for (std::size_t k = 0; k < 4; ++k) word = (word << 8) | (i + k < b.size() ? static_cast<unsigned char>(b[i + k]) : 0u);
        sum += word;
    }
    return sum;
}

} // namespace

// The font file a document embeds keeps the outlines of the glyphs it draws, the glyphs those are
// made of (« ễ » is a composite in Liberation Sans) and .notdef; the others are emptied, their
// widths kept. HarfBuzz reads the result as the same font.
TEST(FontSubsetKeepGlyphs, OnlyTheGlyphsDrawnAndTheirComponentsKeepTheirOutlines) {
    const std::string path = sourceDir() + "/fonts/LiberationSans-Regular.ttf";
    // Bytes 0x41 (A), 0x42 (B) and 0x80 (ễ, on the code point Windows-1252 gives 0x80, €).
    const std::string subset = pdf::subsetFontRemapped(path, {{U'A', U'A'}, {U'B', U'B'}, {U'\u20AC', U'\u1EC5'}});
    ASSERT_FALSE(subset.empty());
    const Face before(subset);
    const unsigned count = hb_face_get_glyph_count(before.face);
    const unsigned a = before.glyph('A'), b = before.glyph('B'), e = before.glyph(0x20AC);
    ASSERT_TRUE(a && b && e && before.drawn(a) && before.drawn(b) && before.drawn(e));
    std::vector<unsigned char> used(count, 0);
    used[a] = used[e] = 1;
    const std::string kept = pdf::keepGlyphs(subset, used.data(), count);
    ASSERT_NE(kept, subset);
    EXPECT_LT(kept.size(), subset.size());
    EXPECT_EQ(wholeFileChecksum(kept), 0xB1B0AFBAu) << "head's checkSumAdjustment";
    const Face after(kept);
    ASSERT_EQ(hb_face_get_glyph_count(after.face), count);
    for (unsigned g : {a, e}) {
        EXPECT_EQ(after.extents(g).width, before.extents(g).width) << g;
        EXPECT_EQ(after.extents(g).height, before.extents(g).height) << g;
        EXPECT_EQ(after.extents(g).x_bearing, before.extents(g).x_bearing) << g;
    }
    EXPECT_FALSE(after.drawn(b)) << "B is not drawn: its outline is emptied";
    EXPECT_EQ(hb_font_get_glyph_h_advance(after.font, b), hb_font_get_glyph_h_advance(before.font, b));
    unsigned drawnGlyphs = 0;
    for (unsigned g = 0; g < count; ++g) drawnGlyphs += after.drawn(g);
    EXPECT_GT(drawnGlyphs, 3u) << "ễ's components (e and its accents) keep their outlines besides .notdef, A and ễ";
    EXPECT_EQ(after.glyph('A'), a) << "the character map is the same";
}

// What keepGlyphs cannot read, or a glyph count that is not the font's, leaves the bytes as they are.
TEST(FontSubsetKeepGlyphs, AnythingUnexpectedLeavesTheFontAsItIs) {
    const std::string subset = pdf::subsetFontRemapped(sourceDir() + "/fonts/LiberationSans-Regular.ttf", {{U'A', U'A'}});
    ASSERT_FALSE(subset.empty());
    std::vector<unsigned char> used(4096, 1);
    EXPECT_EQ(pdf::keepGlyphs(subset, used.data(), 4096), subset);
    EXPECT_EQ(pdf::keepGlyphs(subset, nullptr, 3), subset);
    EXPECT_EQ(pdf::keepGlyphs("not a font", used.data(), 3), "not a font");
    std::string truncated = subset.substr(0, 40);
    EXPECT_EQ(pdf::keepGlyphs(truncated, used.data(), 3), truncated);
}

// The process keeps the last subsets made (a household's documents, a form's previews draw the
// same characters): the same characters and face give the same subset, other characters their
// own, the least recently used is dropped past the bound, and a bound of 0 keeps none.
TEST(SubsetCache, TheSameCharactersGetTheSubsetMadeBeforeOthersTheirOwn) {
    const std::string path = sourceDir() + "/fonts/LiberationSans-Regular.ttf";
    const std::size_t capacity = pdf::subsetCacheCapacity();
    const std::vector<std::pair<char32_t, char32_t>> nguyen = {{U'N', U'N'}, {U'\u20AC', U'\u1EC5'}};
    const std::vector<std::pair<char32_t, char32_t>> lukasz = {{U'u', U'u'}, {U'\u20AC', U'\u0141'}};
    pdf::setSubsetCacheCapacity(0); // starts empty
    pdf::setSubsetCacheCapacity(1);
    auto first = pdf::sharedSubsetRemapped(path, nguyen);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->bytes, pdf::subsetFontRemapped(path, nguyen));
    EXPECT_EQ(pdf::sharedSubsetRemapped(path, nguyen), first);
    auto other = pdf::sharedSubsetRemapped(path, lukasz); // takes the only place
    ASSERT_TRUE(other);
    EXPECT_NE(other, first);
    EXPECT_NE(other->bytes, first->bytes);
    auto again = pdf::sharedSubsetRemapped(path, nguyen);
    ASSERT_TRUE(again);
    EXPECT_NE(again, first) << "dropped when the other subset was made";
    EXPECT_EQ(again->bytes, first->bytes);
    pdf::setSubsetCacheCapacity(0);
    EXPECT_NE(pdf::sharedSubsetRemapped(path, nguyen), pdf::sharedSubsetRemapped(path, nguyen));
    EXPECT_FALSE(pdf::sharedSubsetRemapped(sourceDir() + "/fonts/absent.ttf", nguyen));
    pdf::setSubsetCacheCapacity(capacity);
}

// What a document writes from a shared subset (its font file, its ToUnicode map) is what it would
// write alone: the same bytes with the cache as without, for a document rendered again after
// another one, and each document's text reads back with its own name.
TEST(SubsetCache, ADocumentRenderedAgainFromTheCacheIsTheSameBytesAsAlone) {
    service::RenderService svc(repoCatalog());
    const std::size_t capacity = pdf::subsetCacheCapacity();
    pdf::setSubsetCacheCapacity(0);
    auto alone = renderWithName(svc, "Nguyễn");
    auto aloneOther = renderWithName(svc, "Łukasz Ñandú");
    ASSERT_TRUE(alone.isOk() && aloneOther.isOk());
    pdf::setSubsetCacheCapacity(64);
    std::vector<std::string> cached;
    for (const char* nom : {"Nguyễn", "Łukasz Ñandú", "Nguyễn", "Łukasz Ñandú", "Nguyễn"}) {
        auto r = renderWithName(svc, nom);
        ASSERT_TRUE(r.isOk()) << r.status().toString();
        std::string check;
        EXPECT_TRUE(qpdfCheck(r.value().bytes, &check)) << check;
        EXPECT_NE(withoutSpaces(pdfToText(r.value().bytes)).find(withoutSpaces(nom)), std::string::npos) << nom;
        cached.push_back(r.value().bytes);
    }
    pdf::setSubsetCacheCapacity(capacity);
    EXPECT_EQ(cached[0], alone.value().bytes);
    EXPECT_EQ(cached[2], alone.value().bytes);
    EXPECT_EQ(cached[4], alone.value().bytes);
    EXPECT_EQ(cached[1], aloneOther.value().bytes);
    EXPECT_EQ(cached[3], aloneOther.value().bytes);
    EXPECT_NE(alone.value().bytes, aloneOther.value().bytes);
}

// Documents rendered at once on several threads, with a cache of one subset, so that each thread
// finds the subset of another name, replaces it or meets it being replaced: every document is the
// same bytes as when rendered alone (run under ASan in CI: an entry dropped while a document still
// uses it would be a use after free).
TEST(SubsetCache, ThreadsSharingAndDroppingSubsetsEachGetTheirOwnDocument) {
    service::RenderService svc(repoCatalog());
    const std::size_t capacity = pdf::subsetCacheCapacity();
    const std::vector<std::string> names = {"Nguyễn", "Łukasz Ñandú", "Ştefan", "فاطمة الزهراء"};
    pdf::setSubsetCacheCapacity(0);
    std::vector<std::string> alone;
    for (const auto& n : names) {
        auto r = renderWithName(svc, n);
        ASSERT_TRUE(r.isOk()) << r.status().toString();
        alone.push_back(r.value().bytes);
    }
    pdf::setSubsetCacheCapacity(1);
    std::atomic<int> same{0}, different{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 12; ++i) {
                const std::size_t k = static_cast<std::size_t>(t + i) % names.size();
                auto r = renderWithName(svc, names[k]);
                (r.isOk() && r.value().bytes == alone[k] ? same : different)++;
            }
        });
    for (auto& th : threads) th.join();
    pdf::setSubsetCacheCapacity(capacity);
    EXPECT_EQ(same.load(), 48);
    EXPECT_EQ(different.load(), 0);
}
