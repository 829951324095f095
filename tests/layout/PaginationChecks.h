#pragma once
// The pagination rules of src/layout/Layout.h, checked on laid-out pages. Each check returns
// a description of every violation (empty: the rule holds). Shared by the generated-document
// properties (PaginationPropertiesTest.cpp) and the examples (ExamplePaginationTest.cpp).
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "layout/Layout.h"

namespace passerelle::layout::checks {

struct Entry {
    std::size_t page;
    const Item* item;
};

using Role = Item::Role;

inline bool isHeadingLike(Role r) { return r == Role::Heading || r == Role::Caption || r == Role::Title; }
inline bool isBodyLine(Role r) { return r == Role::Line || r == Role::ParagraphLine; }

// Every item that is not a running header or footer, in flow order.
inline std::vector<Entry> flow(const Document& doc) {
    std::vector<Entry> out;
    for (std::size_t p = 0; p < doc.pages.size(); ++p)
        for (const auto& it : doc.pages[p].items)
            if (it.role != Role::Running && it.block >= 0) out.push_back({p, &it});
    return out;
}

inline std::string describe(const Item& it, std::size_t page) {
    std::ostringstream s;
    s << "page " << page + 1 << " block " << it.block << " line " << it.line << " « " << it.text << " »";
    return s.str();
}

// Level of a heading-like item: 0 title, 1–3 heading blocks, 4 labels and captions.
inline int headingLevel(const std::vector<Block>& blocks, const Item& it) {
    if (it.role == Role::Title) return 0;
    if (it.role == Role::Caption) return 4;
    if (const auto* h = std::get_if<HeadingBlock>(&blocks[static_cast<std::size_t>(it.block)])) return std::clamp(h->level, 1, 3);
    return 4;
}

// No orphan heading: after a heading, caption or title, the same page holds at least two body
// lines (distinct baselines), or a table row, or signature boxes — or its content ends before
// (the end of the document, a forced page break, or a heading of the same or a higher level).
inline std::vector<std::string> orphanHeadings(const std::vector<Block>& blocks, const Document& doc) {
    std::vector<std::string> out;
    auto f = flow(doc);
    auto nextBreak = [&blocks](int b) {
        for (std::size_t k = static_cast<std::size_t>(b) + 1; k < blocks.size(); ++k)
            if (std::holds_alternative<PageBreakBlock>(blocks[k])) return static_cast<int>(k);
        return static_cast<int>(blocks.size());
    };
    for (std::size_t i = 0; i < f.size(); ++i) {
        const Item& h = *f[i].item;
        if (!isHeadingLike(h.role) || h.kind != Item::Kind::Text) continue;
        // Only the last line of a heading matters (a next line of the same heading follows it).
        bool lastLine = true;
        for (std::size_t k = i + 1; k < f.size() && f[k].item->block == h.block; ++k)
            if (f[k].item->role == h.role && f[k].item->kind == Item::Kind::Text) lastLine = false;
        if (!lastLine) continue;
        std::set<std::pair<int, long>> lines;
        bool satisfied = false, documentEnds = true;
        std::size_t k = i + 1;
        const int flowEnd = nextBreak(h.block);
        for (; k < f.size(); ++k) {
            const Item& it = *f[k].item;
            if (it.block > flowEnd) { k = f.size(); break; }
            if (it.block == h.block && isHeadingLike(it.role)) continue;
            // Its content ends (all of it before this item): a caption's content is its own block.
            const bool ends = h.role == Role::Caption
                                  ? it.block != h.block
                                  : isHeadingLike(it.role) && it.kind == Item::Kind::Text && headingLevel(blocks, it) <= headingLevel(blocks, h);
            if (ends) {
                k = f.size();
                break;
            }
            if (f[k].page != f[i].page) { documentEnds = false; break; }
            if (it.role == Role::TableRow || it.role == Role::Signature) { satisfied = true; break; }
            if (isBodyLine(it.role) && it.kind == Item::Kind::Text) lines.insert({it.block, static_cast<long>(it.y * 10)});
            if (lines.size() >= 2) { satisfied = true; break; }
        }
        if (!satisfied && !(k >= f.size() && documentEnds))
            out.push_back("orphan heading: " + describe(h, f[i].page) + " followed on its page by " +
                          std::to_string(lines.size()) + " line(s)");
    }
    return out;
}

// No widow, no orphan: a paragraph of two lines or more has at least two lines on each page it is on.
inline std::vector<std::string> widowsAndOrphans(const Document& doc) {
    std::vector<std::string> out;
    std::map<int, std::map<std::size_t, int>> perBlockPage;
    std::map<int, int> total;
    for (const auto& e : flow(doc)) {
        if (e.item->role != Role::ParagraphLine) continue;
        ++perBlockPage[e.item->block][e.page];
        ++total[e.item->block];
    }
    for (const auto& [block, pages] : perBlockPage) {
        if (total[block] < 2 || pages.size() < 2) continue;
        for (const auto& [page, n] : pages)
            if (n < 2)
                out.push_back("paragraph " + std::to_string(block) + " leaves " + std::to_string(n) + " line alone on page " +
                              std::to_string(page + 1));
    }
    return out;
}

// Signatures: each block on one page, with its mention and, when a heading block precedes it,
// that heading; and the page is not only signatures: some body content of an earlier block
// shares it (when there is any since the last forced page break).
inline std::vector<std::string> signatureRules(const std::vector<Block>& blocks, const Document& doc) {
    std::vector<std::string> out;
    auto f = flow(doc);
    std::map<int, std::set<std::size_t>> pagesOf;
    for (const auto& e : f) pagesOf[e.item->block].insert(e.page);
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        const auto* sb = std::get_if<SignatureBlock>(&blocks[b]);
        if (!sb || sb->parties.empty()) continue;
        const auto& pages = pagesOf[static_cast<int>(b)];
        if (pages.size() != 1) {
            out.push_back("signature block " + std::to_string(b) + " is on " + std::to_string(pages.size()) + " pages");
            continue;
        }
        const std::size_t page = *pages.begin();
        if (b > 0 && std::holds_alternative<HeadingBlock>(blocks[b - 1])) {
            const auto& hp = pagesOf[static_cast<int>(b - 1)];
            if (hp.size() != 1 || *hp.begin() != page)
                out.push_back("signature block " + std::to_string(b) + " is not on the page of its heading");
        }
        // Is there body content since the last forced break?
        bool bodyBefore = false;
        for (std::size_t k = b; k-- > 0;) {
            if (std::holds_alternative<PageBreakBlock>(blocks[k])) break;
            if (!std::holds_alternative<HeadingBlock>(blocks[k]) && !std::holds_alternative<SpacerBlock>(blocks[k]) &&
                !std::holds_alternative<TitleBlock>(blocks[k])) { bodyBefore = true; break; }
        }
        if (!bodyBefore) continue;
        bool shared = false;
        for (const auto& e : f)
            if (e.page == page && e.item->block < static_cast<int>(b) &&
                (isBodyLine(e.item->role) || e.item->role == Role::TableRow || e.item->role == Role::Signature))
                shared = true;
        if (!shared) out.push_back("page " + std::to_string(page + 1) + " holds only the signatures of block " + std::to_string(b));
    }
    return out;
}

// Typography: no line starts with ; : ! ? or », none ends with «.
inline std::vector<std::string> frenchBreaks(const Document& doc) {
    std::vector<std::string> out;
    for (const auto& e : flow(doc)) {
        const std::string& t = e.item->text;
        if (e.item->kind != Item::Kind::Text || t.empty()) continue;
        char c = t[0];
        bool bad = c == ';' || c == ':' || c == '!' || c == '?' || t.rfind("\xC2\xBB", 0) == 0;
        bad = bad || (t.size() >= 2 && t.compare(t.size() - 2, 2, "\xC2\xAB") == 0);
        if (bad) out.push_back("line breaks a French no-break rule: " + describe(*e.item, e.page));
    }
    return out;
}

// Nothing drawn below the bottom margin or above the top margin.
inline std::vector<std::string> insideMargins(const Document& doc, const PageSetup& s) {
    std::vector<std::string> out;
    for (const auto& e : flow(doc)) {
        const Item& it = *e.item;
        double bottom = it.kind == Item::Kind::Text ? it.y : it.y + std::max(0.0, it.h);
        if (bottom > s.height - s.marginBottom + 0.5 || it.y < s.marginTop - 0.5)
            out.push_back("outside the margins: " + describe(it, e.page));
    }
    return out;
}

// Height used on the last page (lower bound of the paginator's own measure, within 6 pt).
inline double lastPageExtent(const Document& doc, const PageSetup& s) {
    double bottom = s.marginTop;
    if (doc.pages.empty()) return 0;
    for (const auto& it : doc.pages.back().items) {
        if (it.role == Role::Running) continue;
        double b = it.kind == Item::Kind::Text ? it.y + 0.35 * it.size : it.y + std::max(0.0, it.h);
        bottom = std::max(bottom, b);
    }
    return bottom - s.marginTop;
}

inline std::vector<std::string> all(const std::vector<Block>& blocks, const Document& doc, const PageSetup& s) {
    std::vector<std::string> out;
    for (auto v : {orphanHeadings(blocks, doc), widowsAndOrphans(doc), signatureRules(blocks, doc), frenchBreaks(doc), insideMargins(doc, s)})
        out.insert(out.end(), v.begin(), v.end());
    return out;
}

} // namespace passerelle::layout::checks
