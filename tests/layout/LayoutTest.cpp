// Layout units with a fixed-width font: wrapping, page breaks, table splits with
// the header repeated, keep-together, running footer.
#include <gtest/gtest.h>

#include <algorithm>

#include "layout/Layout.h"

using namespace passerelle::layout;

namespace {

const FixedWidthMetrics kMetrics(0.5); // every character is size/2 wide

std::vector<std::string> pageTexts(const Page& p) {
    std::vector<std::string> out;
    for (const auto& it : p.items)
        if (it.kind == Item::Kind::Text) out.push_back(it.text);
    return out;
}

int countOnPage(const Page& p, const std::string& text) {
    auto t = pageTexts(p);
    return static_cast<int>(std::count(t.begin(), t.end(), text));
}

std::string joinWords(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += (s.empty() ? "" : " ") + l;
    return s;
}

} // namespace

TEST(Wrap, FitsTheWidthAndKeepsEveryWord) {
    std::string text = "Le ménage a repris le paiement du loyer résiduel depuis septembre ; un plan d'apurement est proposé.";
    auto lines = wrap(text, 100, Font::Regular, 10, kMetrics); // 20 characters per line
    ASSERT_GT(lines.size(), 3u);
    for (const auto& l : lines) EXPECT_LE(kMetrics.width(l, Font::Regular, 10), 100.0) << l;
    EXPECT_EQ(joinWords(lines), text);
}

TEST(Wrap, BreaksAWordLongerThanTheLineWithoutLosingCharacters) {
    std::string word(95, 'x');
    word += "é"; // a multi-byte character must not be split
    auto lines = wrap(word, 100, Font::Regular, 10, kMetrics);
    ASSERT_EQ(lines.size(), 5u);
    std::string joined;
    for (const auto& l : lines) {
        EXPECT_LE(kMetrics.width(l, Font::Regular, 10), 100.0);
        joined += l;
    }
    EXPECT_EQ(joined, word);
}

TEST(Wrap, NewLinesForceBreaksAndBlankLinesStay) {
    auto lines = wrap("un\n\ndeux\r\ntrois", 500, Font::Regular, 10, kMetrics);
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0], "un");
    EXPECT_EQ(lines[1], "");
    EXPECT_EQ(lines[2], "deux");
    EXPECT_EQ(lines[3], "trois");
}

TEST(Paginate, LongParagraphContinuesOnNextPagesInOrder) {
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "mot" + std::to_string(i) + " ";
    PageSetup setup;
    setup.footer = "page {page} / {pages}";
    Document doc = paginate({ParagraphBlock{"Observations", text}}, setup, kMetrics);
    ASSERT_GT(doc.pages.size(), 1u);
    std::string all;
    for (const auto& p : doc.pages) {
        for (const auto& it : p.items) {
            if (it.kind != Item::Kind::Text) continue;
            if (it.text.rfind("page ", 0) == 0) continue;
            // Nothing is drawn below the bottom margin except the footer.
            EXPECT_LE(it.y, setup.height - setup.marginBottom + 1);
            if (it.text != "Observations") all += it.text + " ";
        }
    }
    EXPECT_EQ(all, text);
    for (std::size_t i = 0; i < doc.pages.size(); ++i)
        EXPECT_EQ(countOnPage(doc.pages[i], "page " + std::to_string(i + 1) + " / " + std::to_string(doc.pages.size())), 1);
}

TEST(Paginate, TableContinuesWithItsHeaderRepeated) {
    TableBlock t;
    t.columns = {{"Domaine", 1}, {"Objectif", 3}, {"Échéance", 1}};
    for (int i = 0; i < 120; ++i) t.rows.push_back({"budget", "objectif n° " + std::to_string(i), "31/12/2026"});
    Document doc = paginate({t}, PageSetup{}, kMetrics);
    ASSERT_GE(doc.pages.size(), 3u);
    int seen = 0;
    for (const auto& p : doc.pages) {
        EXPECT_EQ(countOnPage(p, "Objectif"), 1) << "header missing on a page";
        for (const auto& s : pageTexts(p))
            if (s.rfind("objectif n° ", 0) == 0) {
                EXPECT_EQ(s, "objectif n° " + std::to_string(seen)) << "rows out of order or lost";
                ++seen;
            }
    }
    EXPECT_EQ(seen, 120);
}

TEST(Paginate, RowTallerThanAPageIsSplitBetweenLines) {
    std::string huge;
    for (int i = 0; i < 1500; ++i) huge += "w" + std::to_string(i) + " ";
    TableBlock t;
    t.columns = {{"Action", 1}, {"Commentaire", 1}};
    t.rows.push_back({"courte", huge});
    t.rows.push_back({"après", "fin"});
    Document doc = paginate({t}, PageSetup{}, kMetrics);
    ASSERT_GE(doc.pages.size(), 2u);
    std::string all;
    for (const auto& p : doc.pages) {
        EXPECT_EQ(countOnPage(p, "Commentaire"), 1);
        for (const auto& s : pageTexts(p))
            if (s.rfind("w", 0) == 0) all += s + " ";
    }
    EXPECT_EQ(all, huge);
    EXPECT_EQ(countOnPage(doc.pages.back(), "après"), 1);
}

TEST(Paginate, SignatureBlockIsKeptTogether) {
    // Fill the first page almost completely, then add a signature block.
    std::vector<Block> blocks;
    PairsBlock pairs;
    for (int i = 0; i < 44; ++i) pairs.rows.emplace_back("Libellé " + std::to_string(i), "valeur");
    blocks.push_back(pairs);
    SignatureBlock sig;
    for (const char* who : {"Le ménage", "L'association", "Le bailleur"})
        sig.parties.push_back({who, "Nom", {"Lu et approuvé", "Fait à", "Le"}});
    blocks.push_back(sig);
    Document doc = paginate(blocks, PageSetup{}, kMetrics);
    ASSERT_EQ(doc.pages.size(), 2u);
    for (const char* who : {"Le ménage", "L'association", "Le bailleur"}) {
        EXPECT_EQ(countOnPage(doc.pages[0], who), 0) << who;
        EXPECT_EQ(countOnPage(doc.pages[1], who), 1) << who;
    }
    EXPECT_EQ(countOnPage(doc.pages[1], "Lu et approuvé"), 3);
}

TEST(Paginate, HeadingIsNeverTheLastLineOfAPage) {
    std::vector<Block> blocks;
    PairsBlock pairs;
    for (int i = 0; i < 46; ++i) pairs.rows.emplace_back("L" + std::to_string(i), "v");
    blocks.push_back(pairs);
    blocks.push_back(HeadingBlock{"Section suivante", 1});
    blocks.push_back(ParagraphBlock{"", "Contenu de la section."});
    PageSetup noCompression; // compressing the spacing would fit it all on one page
    noCompression.minSpacingScale = 1.0;
    Document doc = paginate(blocks, noCompression, kMetrics);
    ASSERT_EQ(doc.pages.size(), 2u);
    EXPECT_EQ(countOnPage(doc.pages[1], "Section suivante"), 1);
    EXPECT_EQ(countOnPage(doc.pages[1], "Contenu de la section."), 1);
}

TEST(Paginate, CheckboxesMarkTheCheckedItems) {
    CheckboxBlock cb{"Objet", {{"Alerte", true}, {"Point d'étape", false}}};
    Document doc = paginate({cb}, PageSetup{}, kMetrics);
    ASSERT_EQ(doc.pages.size(), 1u);
    EXPECT_EQ(countOnPage(doc.pages[0], "X"), 1);
    EXPECT_EQ(countOnPage(doc.pages[0], "Alerte"), 1);
    EXPECT_EQ(countOnPage(doc.pages[0], "Point d'étape"), 1);
}

TEST(Paginate, EmptyTableShowsItsMessageAcrossTheWholeWidth) {
    TableBlock t;
    t.columns = {{"Date", 1}, {"Version", 1}, {"Motif", 1}};
    t.emptyText = "Aucune révision antérieure : ce contrat est la version initiale.";
    Document doc = paginate({t}, PageSetup{}, kMetrics);
    ASSERT_EQ(doc.pages.size(), 1u);
    // At 5 pt per character the message (63 characters, 315 pt) does not fit one of three columns (~160 pt):
    // on one line it spans the table.
    EXPECT_EQ(countOnPage(doc.pages[0], t.emptyText), 1);
}

TEST(Paginate, SubHeadingKeepsItsUnitOnTheSamePage) {
    // A sub-heading followed by a level and a comment: near the bottom of a page, the whole unit moves.
    std::vector<Block> blocks;
    PairsBlock fill;
    // 44 rows leave 56 pt: the heading, the level and the comment's label fit, the comment does not.
    for (int i = 0; i < 44; ++i) fill.rows.emplace_back("L" + std::to_string(i), "v");
    blocks.push_back(fill);
    blocks.push_back(HeadingBlock{"Gestion du budget", 3});
    blocks.push_back(PairsBlock{{{"Niveau", "Point de vigilance"}}});
    blocks.push_back(ParagraphBlock{"Commentaire", "Budget tenu avec l'aide de la CESF."});
    PageSetup noCompression; // compressing the spacing would fit it all on one page
    noCompression.minSpacingScale = 1.0;
    Document doc = paginate(blocks, noCompression, kMetrics);
    ASSERT_EQ(doc.pages.size(), 2u);
    for (const char* s : {"Gestion du budget", "Point de vigilance", "Commentaire"}) EXPECT_EQ(countOnPage(doc.pages[1], s), 1) << s;
}

TEST(Wrap, NeverBreaksAfterAnOpeningGuillemetNorBeforeAClosingOneOrHighPunctuation) {
    // 20 characters per line at 5 pt: a greedy wrap would break right after « and before ; and ».
    const double width = 100;
    auto a = wrap("organise le « chaînage juridique » ensuite", width, Font::Regular, 10, kMetrics);
    for (const auto& l : a) {
        EXPECT_NE(l.substr(l.size() >= 2 ? l.size() - 2 : 0), "\xC2\xAB") << l;
        EXPECT_NE(l.rfind("\xC2\xBB", 0), 0u) << l;
    }
    auto b = wrap("les loyers impayées ; l’APL est versée", width, Font::Regular, 10, kMetrics);
    for (const auto& l : b) EXPECT_NE(l[0], ';') << l;
    EXPECT_EQ(joinWords(b), "les loyers impayées ; l’APL est versée");
    auto c = wrap("Quel est le montant ? Il reste dû : 120 €", width, Font::Regular, 10, kMetrics);
    for (const auto& l : c) EXPECT_TRUE(l[0] != '?' && l[0] != ':') << l;
}

TEST(Paginate, AmountColumnsAreRightAligned) {
    TableBlock t;
    t.columns = {{"Poste", 3}, {"Montant", 1, Align::Right}};
    t.rows = {{"Loyer", "450,00 €"}, {"Charges", "1 234,56 €"}};
    Document doc = paginate({t}, PageSetup{}, kMetrics);
    PageSetup s;
    const double right = s.width - s.marginRight;
    int seen = 0;
    for (const auto& it : doc.pages[0].items) {
        if (it.kind != Item::Kind::Text || it.role != Item::Role::TableRow || it.text.find("€") == std::string::npos) continue;
        EXPECT_NEAR(it.x + kMetrics.width(it.text, Font::Regular, it.size), right - 3.0, 0.01) << it.text;
        ++seen;
    }
    EXPECT_EQ(seen, 2);
}

TEST(Paginate, SignatureMentionAboveTheBoxesAndALineToWriteOnAfterReceivedOn) {
    SignatureBlock sb;
    sb.mention = "Fait à Rennes, le 12/03/2026";
    sb.parties.push_back({"Reçu par le destinataire", "Thomas Ngo", {"Reçu le :", "Signature :"}});
    Document doc = paginate({ParagraphBlock{"", "Avant."}, sb}, PageSetup{}, kMetrics);
    ASSERT_EQ(doc.pages.size(), 1u);
    double mentionY = -1, boxY = -1, receivedY = -1;
    int rules = 0;
    for (const auto& it : doc.pages[0].items) {
        if (it.role == Item::Role::SignatureMention) mentionY = it.y;
        if (it.role == Item::Role::Signature && it.kind == Item::Kind::Box) boxY = it.y;
        if (it.text == "Reçu le :") receivedY = it.y;
        if (it.role == Item::Role::Signature && it.kind == Item::Kind::Line) {
            ++rules;
            EXPECT_NEAR(it.y, receivedY + 1.5, 0.01) << "the rule sits on the « Reçu le : » line";
        }
    }
    EXPECT_GT(mentionY, 0);
    EXPECT_LT(mentionY, boxY);
    EXPECT_EQ(rules, 1) << "« Signature : » (the last line) gets none";
}
