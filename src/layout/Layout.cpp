#include "layout/Layout.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

#include "common/Deadline.h"
#include "common/Text.h"
#include "layout/Chart.h"

namespace passerelle::layout {

double FixedWidthMetrics::width(std::string_view utf8, Font, double sizePt) const {
    return static_cast<double>(text::length(utf8)) * _advance * sizePt;
}

namespace {

bool bindsLeft(std::string_view w) {
    if (w.empty()) return false;
    if (w.substr(0, 2) == "\xC2\xBB") return true;
    char c = w[0];
    return c == ';' || c == ':' || c == '!' || c == '?';
}
bool opensQuote(std::string_view w) { return w.size() >= 2 && w.substr(w.size() - 2) == "\xC2\xAB"; }

std::string_view trimSpaces(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

// Splits `word` (glued words may hold spaces) into pieces no wider than `width`, at code point
// boundaries; a piece does not end with « nor does the next start with » ; : ! ? when another
// boundary of the piece allows it. Spaces at the breaks are dropped.
void breakLongWord(std::string_view word, double width, Font font, double size, const FontMetrics& m,
                   std::vector<std::string>& lines) {
    std::vector<std::size_t> bounds; // code point starts
    for (std::size_t i = 0; i < word.size(); i += text::sequenceLength(static_cast<unsigned char>(word[i]))) bounds.push_back(i);
    bounds.push_back(word.size());
    std::size_t start = 0; // index into bounds
    while (start + 1 < bounds.size()) {
        // The longest run of code points from `start` that fits (at least one).
        std::size_t end = start + 1;
        while (end + 1 < bounds.size() && m.width(word.substr(bounds[start], bounds[end + 1] - bounds[start]), font, size) <= width) ++end;
        if (end + 1 < bounds.size()) {
            // Prefer a boundary that keeps the French no-break rules.
            for (std::size_t e = end; e > start; --e) {
                std::string_view before = trimSpaces(word.substr(bounds[start], bounds[e] - bounds[start]));
                std::string_view after = trimSpaces(word.substr(bounds[e]));
                if (!before.empty() && !opensQuote(before) && !bindsLeft(after)) { end = e; break; }
            }
        }
        std::string_view piece = trimSpaces(word.substr(bounds[start], bounds[end] - bounds[start]));
        if (!piece.empty()) lines.emplace_back(piece);
        start = end;
    }
}

// Calls `out` with each word of `para` (separated by spaces; runs of spaces keep one separator),
// with the French no-break rules applied: « stays with the word it opens, » with the word it
// closes, and ; : ! ? with the word before them: such words are glued (with the space between
// them) into one. One pass, no allocation.
template <typename Out>
void forEachGluedWord(std::string_view para, Out&& out) {
    std::string_view pending; // the glued word being built (empty: none yet)
    std::size_t i = 0;
    while (i < para.size()) {
        while (i < para.size() && para[i] == ' ') ++i;
        std::size_t start = i;
        while (i < para.size() && para[i] != ' ') ++i;
        if (i == start) continue;
        std::string_view w = para.substr(start, i - start);
        if (!pending.empty() && (bindsLeft(w) || opensQuote(pending))) {
            pending = std::string_view(pending.data(), static_cast<std::size_t>(w.data() + w.size() - pending.data()));
        } else {
            if (!pending.empty()) out(pending);
            pending = w;
        }
    }
    if (!pending.empty()) out(pending);
}

void wrapParagraph(std::string_view para, double width, Font font, double size, const FontMetrics& m,
                   std::vector<std::string>& lines) {
    // Greedy filling by measured width, word by word.
    bool any = false;
    double space = 0;
    std::string line;
    double lineWidth = 0;
    auto startLine = [&](std::string_view w, double ww) {
        if (ww > width) {
            std::vector<std::string> pieces;
            breakLongWord(w, width, font, size, m, pieces);
            for (std::size_t k = 0; k + 1 < pieces.size(); ++k) lines.push_back(std::move(pieces[k]));
            line = std::move(pieces.back());
            lineWidth = m.width(line, font, size);
        } else {
            line.assign(w);
            lineWidth = ww;
        }
    };
    forEachGluedWord(para, [&](std::string_view w) {
        if (!any) space = m.width(" ", font, size);
        any = true;
        double ww = m.width(w, font, size);
        if (line.empty()) {
            startLine(w, ww);
            return;
        }
        if (lineWidth + space + ww <= width) {
            line += ' ';
            line.append(w);
            lineWidth += space + ww;
        } else {
            lines.push_back(std::move(line));
            line = std::string();
            lineWidth = 0;
            startLine(w, ww);
        }
    });
    if (!any) { lines.emplace_back(); return; }
    lines.push_back(std::move(line));
}


constexpr double kCellPad = 3.0;
constexpr double kHeaderGray = 0.88;

// ---- Pass 1 output: a flow of unbreakable units ---------------------------------------------------
// A unit is a line of text, a table row, a row of signature boxes…: it is never split. Between two
// units the page may break unless the first one is kept with the next (headings, orphan and widow
// lines, signature mention). A unit's `gap` is the space above it, dropped at the top of a page and
// scaled by the spacing compression.
// The geometry the rows of one table share (see Unit::cells).
struct TableGeometry {
    std::vector<double> xs, widths;
    std::vector<Align> aligns;
    double size = 0, lh = 0;
    int block = -1;
};

struct Unit {
    enum class Kind : std::uint8_t { Body, Heading, Row };
    double gap = 0;
    double height = 0;
    std::vector<Item> items;      // y relative to the unit's top
    std::vector<Item> ifFirst, ifLast; // extra items when the unit starts / ends a page (split rows)
    // A table row (not split) keeps only its cells' wrapped lines until its page is emitted, where
    // rowItems() makes its items: a table of thousands of rows would otherwise hold eight items of
    // 104 bytes per row for the whole layout.
    // `cells`: for each column, one byte counting its lines, then each line ended by '\n' (wrapped
    // lines never hold one): one allocation per row.
    std::shared_ptr<const TableGeometry> table;
    std::string cells;
    int row = -1;                 // the row's index in its table (with `table`)
    int header = -1;              // unit repeated above this one when it starts a page (table header)
    int lines = 1;                // body lines it counts for "at least two lines after a heading"
    Kind kind = Kind::Body;
    bool keepWithNext = false;
    bool keepStrongly = false;    // kept even when the page has no other break (a signature block's rows)
    bool pageBreak = false;       // a forced break after this unit
};

constexpr double ascentOf(double size) { return size * 0.95; }

// The items of a table row kept as wrapped lines (Unit::cells), y relative to the unit's top: each
// cell's lines, column by column, then each cell's border, as FlowBuilder makes them for any row.
void rowItems(const Unit& u, const FontMetrics& m, std::vector<Item>& out) {
    const TableGeometry& g = *u.table;
    auto item = [&](Item::Kind k) {
        Item it;
        it.kind = k;
        it.role = Item::Role::TableRow;
        it.block = g.block;
        it.line = u.row;
        return it;
    };
    const std::string_view cells = u.cells;
    std::size_t at = 0;
    for (std::size_t c = 0; c < g.xs.size() && at < cells.size(); ++c) {
        const std::size_t n = static_cast<unsigned char>(cells[at++]);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t end = cells.find('\n', at);
            const std::string_view line = cells.substr(at, end - at);
            at = end + 1;
            Item it = item(Item::Kind::Text);
            double tx = g.xs[c] + kCellPad;
            if (g.aligns[c] == Align::Right) tx = g.xs[c] + g.widths[c] - kCellPad - m.width(line, Font::Regular, g.size);
            it.x = tx;
            it.y = kCellPad + static_cast<double>(i) * g.lh + ascentOf(g.size);
            it.text = std::string(line);
            it.font = Font::Regular;
            it.size = g.size;
            it.gray = 0;
            if (g.aligns[c] != Align::Right) it.boxWidth = g.widths[c] - 2 * kCellPad;
            out.push_back(std::move(it));
        }
    }
    for (std::size_t c = 0; c < g.xs.size(); ++c) {
        Item it = item(Item::Kind::Box);
        it.x = g.xs[c]; it.y = 0; it.w = g.widths[c]; it.h = u.height; it.gray = 0.45;
        out.push_back(std::move(it));
    }
}

class FlowBuilder {
public:
    FlowBuilder(const PageSetup& s, const FontMetrics& m) : _s(s), _m(m) {
        _left = s.marginLeft;
        _width = s.width - s.marginLeft - s.marginRight;
        _bodyHeight = s.height - s.marginTop - s.marginBottom;
        _lh = s.bodySize * s.lineFactor;
    }

    void place(const Block& b, int index) {
        _block = index;
        std::visit([this](const auto& x) { this->layoutBlock(x); }, b);
    }
    std::vector<Unit> take() { return std::move(_units); }

private:
    const PageSetup& _s;
    const FontMetrics& _m;
    std::vector<Unit> _units;
    double _left, _width, _bodyHeight, _lh;
    double _pending = 0; // space owed before the next unit
    // Body lines still to keep with the last heading of each level (0 title, 1–3 headings,
    // 4 labels and captions).
    std::array<int, 5> _need{};
    int _block = -1;

    static double ascent(double size) { return size * 0.95; }
    std::vector<std::string> wrapText(std::string_view t, double w, Font f, double size) const { return wrap(t, w, f, size, _m); }

    Item textItem(double x, double baseline, std::string s, Font f, double size, double gray, Item::Role role, int line) const {
        Item it;
        it.kind = Item::Kind::Text;
        it.x = x; it.y = baseline; it.text = std::move(s); it.font = f; it.size = size; it.gray = gray;
        it.role = role; it.block = _block; it.line = line;
        return it;
    }
    Item shape(Item::Kind k, double x, double y, double w, double h, double gray, Item::Role role, int line) const {
        Item it;
        it.kind = k; it.x = x; it.y = y; it.w = w; it.h = h; it.gray = gray; it.role = role; it.block = _block; it.line = line;
        return it;
    }

    // Appends a unit, applying the keep-with-heading rule: while a heading still wants lines after
    // it, the unit before this one may not end a page.
    Unit& add(Unit u) {
        u.gap += _pending;
        _pending = 0;
        const bool wanted = std::any_of(_need.begin(), _need.end(), [](int n) { return n > 0; });
        if (wanted && !_units.empty() && !_units.back().pageBreak) _units.back().keepWithNext = true;
        for (int& n : _need) {
            if (u.kind == Unit::Kind::Row) n = 0;
            else if (u.kind == Unit::Kind::Body) n = std::max(0, n - u.lines);
        }
        _units.push_back(std::move(u));
        return _units.back();
    }
    // Lines of one paragraph: a break is allowed after line j only with two lines on each side.
    void keepWidowsAndOrphans(std::size_t first, std::size_t n) {
        for (std::size_t j = 0; j + 1 < n; ++j)
            if (j + 1 < 2 || n - j - 1 < 2) _units[first + j].keepWithNext = true;
    }
    // A heading of `level` starts: what an earlier heading of the same or a deeper level still
    // wanted, it will not get (its content ends here).
    void beforeHeading(int level) {
        for (int l = level; l < static_cast<int>(_need.size()); ++l) _need[static_cast<std::size_t>(l)] = 0;
    }
    void afterHeading(int lines, int level) { _need[static_cast<std::size_t>(level)] = lines; }

    // ---- blocks ----
    void headingLine(const std::string& l, Font f, double size, double gray, Item::Role role, int line, double gap,
                     bool centred) {
        Unit u;
        u.kind = Unit::Kind::Heading;
        u.gap = gap;
        u.height = size * 1.3;
        double x = centred ? _left + (_width - _m.width(l, f, size)) / 2 : _left;
        u.items.push_back(textItem(x, ascent(size), l, f, size, gray, role, line));
        u.keepWithNext = true;
        add(std::move(u));
    }

    void layoutBlock(const TitleBlock& b) {
        beforeHeading(0);
        int line = 0;
        for (const auto& l : wrapText(b.title, _width, Font::Bold, 16))
            headingLine(l, Font::Bold, 16, 0, Item::Role::Title, line++, 0, /*centred=*/true);
        if (!b.subtitle.empty())
            for (const auto& l : wrapText(b.subtitle, _width, Font::Regular, 11))
                headingLine(l, Font::Regular, 11, 0.25, Item::Role::Title, line++, 0, /*centred=*/true);
        _pending += 8;
        afterHeading(2, 0);
    }

    void layoutBlock(const HeadingBlock& b) {
        const double size = b.level <= 1 ? 12.5 : 11;
        auto lines = wrapText(b.text, _width, Font::Bold, size);
        beforeHeading(std::clamp(b.level, 1, 3));
        for (std::size_t i = 0; i < lines.size(); ++i)
            headingLine(lines[i], Font::Bold, size, b.level <= 1 ? 0.1 : 0.2, Item::Role::Heading, static_cast<int>(i),
                        i == 0 ? 8 : 0, /*centred=*/false);
        if (b.level <= 1 && !_units.empty()) {
            Unit& last = _units.back();
            last.items.push_back(shape(Item::Kind::Line, _left, last.height + 1, _width, 0, 0.4, Item::Role::Heading, 0));
        }
        _pending += 4;
        // A section heading wants two body lines after it; a sub-heading (an indicator, a record)
        // heads a short unit (a level and the start of its comment), which it keeps with four.
        afterHeading(b.level >= 3 ? 4 : 2, std::clamp(b.level, 1, 3));
    }

    void layoutBlock(const PairsBlock& b) {
        const double labelW = _width * 0.34;
        const double gap = 8;
        const double valueW = _width - labelW - gap;
        int line = 0;
        for (const auto& [label, value] : b.rows) {
            auto ll = wrapText(label, labelW, Font::Bold, _s.bodySize);
            auto vl = wrapText(value, valueW, Font::Regular, _s.bodySize);
            std::size_t n = std::max(ll.size(), vl.size());
            auto lineItems = [&](Unit& u, std::size_t i, double y) {
                if (i < ll.size()) u.items.push_back(textItem(_left, y + ascent(_s.bodySize), ll[i], Font::Bold, _s.bodySize, 0.25, Item::Role::Line, line));
                if (i < vl.size()) {
                    u.items.push_back(textItem(_left + labelW + gap, y + ascent(_s.bodySize), vl[i], Font::Regular, _s.bodySize, 0, Item::Role::Line, line));
                    u.items.back().boxWidth = valueW;
                }
            };
            if (n <= 6) {
                // Short rows stay together.
                Unit u;
                u.height = n * _lh;
                u.lines = static_cast<int>(n);
                for (std::size_t i = 0; i < n; ++i) lineItems(u, i, i * _lh);
                add(std::move(u));
                ++line;
            } else {
                // A long value flows over pages line by line, without widow or orphan.
                std::size_t first = _units.size();
                for (std::size_t i = 0; i < n; ++i) {
                    Unit u;
                    u.height = _lh;
                    lineItems(u, i, 0);
                    add(std::move(u));
                    ++line;
                }
                keepWidowsAndOrphans(first, n);
            }
            _pending += 2;
        }
        _pending += 2;
    }

    void labelLines(const std::string& label) {
        beforeHeading(4);
        int line = 0;
        for (const auto& l : wrapText(label, _width, Font::Bold, _s.bodySize)) {
            Unit u;
            u.kind = Unit::Kind::Heading;
            u.height = _lh;
            u.items.push_back(textItem(_left, ascent(_s.bodySize), l, Font::Bold, _s.bodySize, 0.25, Item::Role::Caption, line++));
            u.keepWithNext = true;
            add(std::move(u));
        }
    }

    void layoutBlock(const ParagraphBlock& b) {
        if (!b.label.empty()) {
            labelLines(b.label);
            afterHeading(2, 4);
        }
        auto lines = wrapText(b.text, _width, Font::Regular, _s.bodySize);
        std::size_t first = _units.size();
        for (std::size_t i = 0; i < lines.size(); ++i) {
            Unit u;
            u.height = _lh;
            u.items.push_back(textItem(_left, ascent(_s.bodySize), std::move(lines[i]), Font::Regular, _s.bodySize, b.muted ? 0.35 : 0,
                                       Item::Role::ParagraphLine, static_cast<int>(i)));
            u.items.back().boxWidth = _width;
            add(std::move(u));
        }
        keepWidowsAndOrphans(first, lines.size());
        _pending += 4;
    }

    void layoutBlock(const TableBlock& b) {
        const double size = _s.bodySize - 1;
        const double lh = size * _s.lineFactor;
        // Pass 1: column widths from weights.
        double total = 0;
        for (const auto& c : b.columns) total += c.weight > 0 ? c.weight : 1;
        std::vector<double> widths, xs;
        double x = _left;
        for (const auto& c : b.columns) {
            double w = _width * (c.weight > 0 ? c.weight : 1) / total;
            widths.push_back(w);
            xs.push_back(x);
            x += w;
        }
        // Pass 2: measure the header and every row (lines per cell).
        auto measureRow = [&](const std::vector<std::string>& cells, Font f) {
            std::vector<std::vector<std::string>> out;
            for (std::size_t c = 0; c < b.columns.size(); ++c)
                out.push_back(wrapText(c < cells.size() ? cells[c] : "", widths[c] - 2 * kCellPad, f, size));
            return out;
        };
        auto lineCount = [](const std::vector<std::vector<std::string>>& r) {
            std::size_t n = 1;
            for (const auto& c : r) n = std::max(n, c.size());
            return n;
        };
        auto cellText = [&](Unit& u, const std::vector<std::vector<std::string>>& cells, std::size_t from, std::size_t to,
                            double top, Font f, Item::Role role, int line) {
            for (std::size_t c = 0; c < cells.size(); ++c)
                for (std::size_t i = from; i < to && i < cells[c].size(); ++i) {
                    double tx = xs[c] + kCellPad;
                    if (b.columns[c].align == Align::Right && f == Font::Regular)
                        tx = xs[c] + widths[c] - kCellPad - _m.width(cells[c][i], f, size);
                    u.items.push_back(textItem(tx, top + (i - from) * lh + ascent(size), cells[c][i], f, size, 0, role, line));
                    if (b.columns[c].align != Align::Right) u.items.back().boxWidth = widths[c] - 2 * kCellPad;
                }
        };
        std::vector<std::string> titles;
        for (const auto& c : b.columns) titles.push_back(c.title);
        auto header = measureRow(titles, Font::Bold);
        const double headerH = lineCount(header) * lh + 2 * kCellPad;

        // Pass 3: units. The caption and the header row stay with the first row.
        if (!b.caption.empty()) labelLines(b.caption);
        Unit hu;
        hu.kind = Unit::Kind::Heading;
        hu.height = headerH;
        hu.keepWithNext = true;
        hu.items.push_back(shape(Item::Kind::FilledBox, _left, 0, _width, headerH, kHeaderGray, Item::Role::TableHeader, -1));
        cellText(hu, header, 0, lineCount(header), kCellPad, Font::Bold, Item::Role::TableHeader, -1);
        for (std::size_t c = 0; c < header.size(); ++c)
            hu.items.push_back(shape(Item::Kind::Box, xs[c], 0, widths[c], headerH, 0.45, Item::Role::TableHeader, -1));
        add(std::move(hu));
        const int headerUnit = static_cast<int>(_units.size()) - 1;
        if (b.rows.empty()) {
            // One cell across the whole table.
            auto lines = wrapText(b.emptyText, _width - 2 * kCellPad, Font::Regular, size);
            Unit u;
            u.kind = Unit::Kind::Row;
            u.height = lines.size() * lh + 2 * kCellPad;
            for (std::size_t i = 0; i < lines.size(); ++i)
                u.items.push_back(textItem(_left + kCellPad, kCellPad + i * lh + ascent(size), lines[i], Font::Regular, size, 0.35, Item::Role::TableRow, 0));
            u.items.push_back(shape(Item::Kind::Box, _left, 0, _width, u.height, 0.45, Item::Role::TableRow, 0));
            add(std::move(u));
        }
        // A row is one unit; a row taller than a third of a page is split between lines (two at
        // least on each page), each page's part closed by its own borders.
        int rowIndex = 0;
        std::shared_ptr<TableGeometry> geometry;
        if (!b.rows.empty()) {
            geometry = std::make_shared<TableGeometry>();
            geometry->xs = xs;
            geometry->widths = widths;
            for (const auto& c : b.columns) geometry->aligns.push_back(c.align);
            geometry->size = size;
            geometry->lh = lh;
            geometry->block = _block;
        }
        for (const auto& cells : b.rows) {
            if (Deadline::expired()) break; // the caller reports the time limit
            auto r = measureRow(cells, Font::Regular);
            std::size_t n = lineCount(r);
            double h = n * lh + 2 * kCellPad;
            if ((h <= _bodyHeight / 3 || n < 4) && n <= 255) {
                Unit u;
                u.kind = Unit::Kind::Row;
                u.height = h;
                u.header = headerUnit;
                // Its items are made when its page is emitted (rowItems()).
                u.table = geometry;
                std::size_t bytes = r.size();
                for (const auto& lines : r)
                    for (const auto& l : lines) bytes += l.size() + 1;
                u.cells.reserve(bytes);
                for (const auto& lines : r) {
                    u.cells.push_back(static_cast<char>(static_cast<unsigned char>(lines.size())));
                    for (const auto& l : lines) (u.cells += l) += '\n';
                }
                u.row = rowIndex;
                add(std::move(u));
            } else if (h <= _bodyHeight / 3 || n < 4) {
                Unit u;
                u.kind = Unit::Kind::Row;
                u.height = h;
                u.header = headerUnit;
                cellText(u, r, 0, n, kCellPad, Font::Regular, Item::Role::TableRow, rowIndex);
                for (std::size_t c = 0; c < r.size(); ++c)
                    u.items.push_back(shape(Item::Kind::Box, xs[c], 0, widths[c], h, 0.45, Item::Role::TableRow, rowIndex));
                add(std::move(u));
            } else {
                const std::size_t first = _units.size();
                for (std::size_t i = 0; i < n; ++i) {
                    Unit u;
                    u.kind = Unit::Kind::Row;
                    u.header = headerUnit;
                    const double top = i == 0 ? kCellPad : 0;
                    u.height = lh + top + (i + 1 == n ? kCellPad : 0);
                    cellText(u, r, i, i + 1, top, Font::Regular, Item::Role::TableRow, rowIndex);
                    for (std::size_t c = 0; c < r.size(); ++c) {
                        u.items.push_back(shape(Item::Kind::Line, xs[c], 0, 0, u.height, 0.45, Item::Role::TableRow, rowIndex));
                        if (c + 1 == r.size())
                            u.items.push_back(shape(Item::Kind::Line, xs[c] + widths[c], 0, 0, u.height, 0.45, Item::Role::TableRow, rowIndex));
                    }
                    Item topLine = shape(Item::Kind::Line, _left, 0, _width, 0, 0.45, Item::Role::TableRow, rowIndex);
                    Item bottomLine = shape(Item::Kind::Line, _left, u.height, _width, 0, 0.45, Item::Role::TableRow, rowIndex);
                    if (i == 0) u.items.push_back(topLine); else u.ifFirst.push_back(topLine);
                    if (i + 1 == n) u.items.push_back(bottomLine); else u.ifLast.push_back(bottomLine);
                    add(std::move(u));
                }
                keepWidowsAndOrphans(first, n);
            }
            ++rowIndex;
        }
        _pending += 6;
    }

    void layoutBlock(const CheckboxBlock& b) {
        const double boxSize = 8;
        if (!b.label.empty()) {
            labelLines(b.label);
            afterHeading(2, 4);
        }
        // Two columns of items when there are several.
        const bool twoCols = b.items.size() > 3;
        const double colW = twoCols ? _width / 2 : _width;
        std::size_t first = _units.size();
        int row = 0;
        for (std::size_t i = 0; i < b.items.size(); i += twoCols ? 2 : 1) {
            double rowLines = 1;
            std::vector<std::vector<std::string>> labels;
            for (std::size_t k = i; k < b.items.size() && k < i + (twoCols ? 2 : 1); ++k) {
                labels.push_back(wrapText(b.items[k].label, colW - boxSize - 10, Font::Regular, _s.bodySize));
                rowLines = std::max(rowLines, static_cast<double>(labels.back().size()));
            }
            Unit u;
            u.height = rowLines * _lh;
            u.lines = static_cast<int>(rowLines);
            u.gap = i == 0 ? 0 : 1;
            for (std::size_t k = 0; k < labels.size(); ++k) {
                double x = _left + k * colW;
                const auto& item = b.items[i + k];
                u.items.push_back(shape(Item::Kind::Box, x, 1.5, boxSize, boxSize, 0.2, Item::Role::Line, row));
                if (item.checked) u.items.push_back(textItem(x + 1.6, 1.5 + boxSize - 1.2, "X", Font::Bold, 8, 0, Item::Role::Line, row));
                for (std::size_t l = 0; l < labels[k].size(); ++l)
                    u.items.push_back(textItem(x + boxSize + 5, l * _lh + ascent(_s.bodySize), labels[k][l],
                                               item.checked ? Font::Bold : Font::Regular, _s.bodySize, item.checked ? 0 : 0.3,
                                               Item::Role::Line, row));
            }
            add(std::move(u));
            ++row;
        }
        keepWidowsAndOrphans(first, _units.size() - first);
        _pending += 5;
    }

    void layoutBlock(const SignatureBlock& b) {
        if (b.parties.empty() && b.mention.empty()) return;
        const double gap = 10;
        const std::size_t perRow = std::max<std::size_t>(1, std::min<std::size_t>(3, b.parties.size()));
        const double colW = (_width - gap * (perRow - 1)) / perRow;
        const double signH = 55;
        // The signatures never stand alone on a page: whatever precedes them (their heading, and the
        // end of the paragraph before it) moves along with them.
        for (std::size_t j = _units.size(); j-- > 0;) {
            if (_units[j].pageBreak) break;
            _units[j].keepWithNext = true;
            if (_units[j].kind != Unit::Kind::Heading) break;
        }
        _pending += 6;
        if (!b.mention.empty()) {
            int line = 0;
            for (const auto& l : wrapText(b.mention, _width, Font::Regular, _s.bodySize)) {
                Unit u;
                u.kind = Unit::Kind::Heading;
                u.height = _lh;
                u.keepWithNext = true;
                u.keepStrongly = true;
                u.items.push_back(textItem(_left, ascent(_s.bodySize), l, Font::Regular, _s.bodySize, 0, Item::Role::SignatureMention, line++));
                add(std::move(u));
            }
            _pending += 4;
        }
        std::vector<std::vector<std::string>> cols;
        double maxLines = 0;
        for (const auto& p : b.parties) {
            std::vector<std::string> lines;
            for (const auto& l : wrapText(p.title, colW - 8, Font::Bold, _s.bodySize)) lines.push_back("\x01" + l);
            if (!p.name.empty()) for (const auto& l : wrapText(p.name, colW - 8, Font::Regular, _s.bodySize)) lines.push_back(l);
            for (std::size_t e = 0; e < p.lines.size(); ++e) {
                // A line ending with ":" (« Reçu le : ») gets a rule to write on, except the last one
                // (the signature goes in the space under it).
                const bool fillIn = e + 1 < p.lines.size() && !p.lines[e].empty() && p.lines[e].back() == ':';
                for (const auto& l : wrapText(p.lines[e], colW - 8, Font::Regular, _s.bodySize - 1)) lines.push_back((fillIn ? "\x03" : "\x02") + l);
            }
            maxLines = std::max(maxLines, static_cast<double>(lines.size()));
            cols.push_back(std::move(lines));
        }
        const std::size_t rows = (b.parties.size() + perRow - 1) / perRow;
        const double rowH = maxLines * _lh + signH + 12;
        for (std::size_t r = 0; r < rows; ++r) {
            Unit u;
            u.kind = Unit::Kind::Row;
            u.height = rowH;
            u.keepWithNext = u.keepStrongly = r + 1 < rows; // the whole block stays on one page
            const int line = static_cast<int>(r);
            for (std::size_t k = 0; k < perRow && r * perRow + k < cols.size(); ++k) {
                double bx = _left + k * (colW + gap);
                u.items.push_back(shape(Item::Kind::Box, bx, 0, colW, rowH - 6, 0.45, Item::Role::Signature, line));
                u.items.back().signatureBox = true; // the signing engine (src/sign) draws the signature in it
                double y = 4;
                for (const auto& l : cols[r * perRow + k]) {
                    if (!l.empty() && l[0] == '\x01')
                        u.items.push_back(textItem(bx + 4, y + ascent(_s.bodySize), l.substr(1), Font::Bold, _s.bodySize, 0, Item::Role::Signature, line));
                    else if (!l.empty() && (l[0] == '\x02' || l[0] == '\x03')) {
                        const double small = _s.bodySize - 1;
                        u.items.push_back(textItem(bx + 4, y + ascent(small), l.substr(1), Font::Regular, small, 0.3, Item::Role::Signature, line));
                        const double from = bx + 4 + _m.width(l.substr(1), Font::Regular, small) + 4;
                        if (l[0] == '\x03' && from < bx + colW - 10)
                            u.items.push_back(shape(Item::Kind::Line, from, y + ascent(small) + 1.5, bx + colW - 6 - from, 0, 0.5, Item::Role::Signature, line));
                    }
                    else
                        u.items.push_back(textItem(bx + 4, y + ascent(_s.bodySize), l, Font::Regular, _s.bodySize, 0, Item::Role::Signature, line));
                    y += _lh;
                }
            }
            add(std::move(u));
        }
    }

    // A chart and its caption: one unit, never split (layout/Chart.h draws it as boxes, lines and text).
    void layoutBlock(const ChartBlock& b) {
        const double h = chartHeight(b, _width, _m);
        auto caption = wrapText(b.caption, _width, Font::Bold, _s.bodySize);
        const double captionH = b.caption.empty() ? 0 : caption.size() * _lh;
        Unit u;
        u.gap = 6;
        u.height = captionH + h + 6;
        int line = 0;
        for (const auto& l : caption) {
            u.items.push_back(textItem(_left, line * _lh + ascent(_s.bodySize), l, Font::Bold, _s.bodySize, 0.25, Item::Role::Caption, line));
            ++line;
        }
        for (auto& it : layoutChart(b, _left, captionH, _width, _m)) {
            it.block = _block;
            u.items.push_back(std::move(it));
        }
        add(std::move(u));
    }

    void layoutBlock(const SpacerBlock& b) { _pending += b.height; }
    void layoutBlock(const PageBreakBlock&) {
        if (!_units.empty()) {
            _units.back().pageBreak = true;
            _units.back().keepWithNext = false;
        }
        _pending = 0;
        _need.fill(0);
    }
};

// ---- Pass 2: pages ------------------------------------------------------------------------------
// Greedy filling; when a unit does not fit, the page breaks at the last allowed break on it (before
// a unit whose predecessor is not kept with it), and what follows moves to the next page. When no
// break is allowed on the page, it breaks right there (a kept chain taller than a page), or before
// the signature block it is in.
class Paginator {
public:
    Paginator(const PageSetup& s, const FontMetrics& m, std::vector<Unit>& units) : _s(s), _m(m), _u(units) {
        _isHeader.assign(units.size(), false);
        for (const auto& u : units)
            if (u.header >= 0) _isHeader[static_cast<std::size_t>(u.header)] = true;
        _left = s.marginLeft;
        _width = s.width - s.marginLeft - s.marginRight;
        _top = s.marginTop;
        _bottom = s.height - s.marginBottom;
    }

    // Fills pages with the spacing scaled by `scale`; lastFill is the used height of the last page.
    struct Placed { int unit; double y; bool headerCopy; };
    // Where each unit goes, page by page (no item copied yet); lastFill is the height used on the last page.
    struct Placement {
        std::vector<std::vector<Placed>> pages;
        double scale = 1;
        double lastFill = 0;
    };

    Placement place(double scale) const {
        Placement out;
        out.scale = scale;
        auto& pages = out.pages;
        pages.resize(1);
        double y = _top;
        int pageStart = 0;
        const int n = static_cast<int>(_u.size());
        auto newPage = [&](int first) {
            pages.emplace_back();
            y = _top;
            pageStart = first;
        };
        int i = 0;
        while (i < n) {
            if (Deadline::expired()) break; // the caller reports the time limit
            const Unit& u = _u[i];
            const bool empty = pages.back().empty();
            const double g = empty ? 0 : u.gap * scale;
            const double hh = empty && u.header >= 0 ? _u[u.header].height : 0;
            if (empty || y + g + hh + u.height <= _bottom + 0.01) {
                if (hh > 0) {
                    pages.back().push_back({u.header, y, true});
                    y += hh;
                }
                pages.back().push_back({i, y + g, false});
                y += g + u.height;
                ++i;
                if (u.pageBreak && i < n) newPage(i);
                continue;
            }
            int k = i;
            while (k > pageStart && _u[k - 1].keepWithNext) --k;
            if (k == pageStart) {
                // No allowed break on this page: the rules yield, except inside a signature block.
                k = i;
                while (k > pageStart && _u[k - 1].keepStrongly) --k;
                if (k == pageStart) k = i;
            }
            auto& placed = pages.back();
            placed.erase(std::remove_if(placed.begin(), placed.end(), [k](const Placed& p) { return !p.headerCopy && p.unit >= k; }),
                         placed.end());
            while (!placed.empty() && placed.back().headerCopy) placed.pop_back();
            newPage(k);
            i = k;
        }
        out.lastFill = y - _top;
        return out;
    }

    // The spacing: the template's, or a little less when that leaves a short trailing page and
    // the tighter spacing saves it (never less than minSpacingScale).
    Placement choose() const {
        Placement best = place(_s.spacingScale);
        const double body = _s.height - _s.marginTop - _s.marginBottom;
        if (best.pages.size() > 1 && best.lastFill < _s.shortPageFraction * body) {
            for (double scale : {0.85, 0.7, _s.minSpacingScale}) {
                if (scale < _s.minSpacingScale || scale >= _s.spacingScale) continue;
                Placement tight = place(scale);
                if (tight.pages.size() < best.pages.size()) return tight;
            }
        }
        return best;
    }

    // The items of one placed page, translated to their positions. Each unit is placed once (a table
    // header is also repeated on the pages its table continues on): its items are moved out, except a
    // header's, so that the flow shrinks as pages are handed over.
    Page emit(const std::vector<Placed>& placed) {
        Page page;
        std::size_t count = 0;
        for (const auto& pl : placed) {
            const Unit& u = _u[pl.unit];
            count += u.items.size() + u.ifFirst.size() + u.ifLast.size();
            if (u.table) count += u.table->xs.size() + static_cast<std::size_t>(std::count(u.cells.begin(), u.cells.end(), '\n'));
        }
        page.items.reserve(count);
        for (std::size_t p = 0; p < placed.size(); ++p) {
            Unit& u = _u[placed[p].unit];
            const bool keep = placed[p].headerCopy || _isHeader[placed[p].unit];
            auto put = [&](std::vector<Item>& items) {
                for (auto& it : items) {
                    page.items.push_back(keep ? it : std::move(it));
                    page.items.back().y += placed[p].y;
                }
                if (!keep) std::vector<Item>().swap(items);
            };
            put(u.items);
            if (u.table) {
                const std::size_t from = page.items.size();
                rowItems(u, _m, page.items);
                for (std::size_t k = from; k < page.items.size(); ++k) page.items[k].y += placed[p].y;
                if (!keep) {
                    std::string().swap(u.cells);
                    u.table.reset();
                }
            }
            if (placed[p].headerCopy) continue;
            bool first = true;
            for (std::size_t q = 0; q < p; ++q) first = first && placed[q].headerCopy;
            if (first) put(u.ifFirst);
            if (p + 1 == placed.size()) put(u.ifLast);
        }
        return page;
    }

    // Running header and footer, once the page count is known.
    void addRunningElements(Document& doc) const {
        for (std::size_t i = 0; i < doc.pages.size(); ++i)
            for (auto& it : running(i, doc.pages.size()).items) doc.pages[i].items.push_back(std::move(it));
    }

    // Page i's running header and footer (of `pages` pages).
    Page running(std::size_t i, std::size_t pages) const {
        Page p;
        const double small = 8;
        auto running = [](double x, double y, std::string t, double size) {
            Item it; it.kind = Item::Kind::Text; it.x = x; it.y = y; it.text = std::move(t); it.size = size; it.gray = 0.35;
            it.role = Item::Role::Running;
            return it;
        };
        {
            double headerBase = _s.marginTop - 22;
            if (!_s.headerLeft.empty() || !_s.headerRight.empty()) {
                double rightW = _s.headerRight.empty() ? 0 : _m.width(_s.headerRight, Font::Regular, small);
                double leftMax = _width - rightW - 12;
                auto left = wrap(_s.headerLeft, leftMax > 40 ? leftMax : _width, Font::Regular, small, _m);
                // The running header is one line: a longer one continues under it rather than being cut.
                double y = headerBase - (left.size() > 1 ? (left.size() - 1) * small * 1.2 : 0);
                for (const auto& l : left) {
                    p.items.push_back(running(_left, y, l, small));
                    y += small * 1.2;
                }
                if (rightW > 0) p.items.push_back(running(_left + _width - rightW, headerBase, _s.headerRight, small));
                Item ln; ln.kind = Item::Kind::Line; ln.x = _left; ln.y = headerBase + 4; ln.w = _width; ln.gray = 0.6;
                ln.role = Item::Role::Running;
                p.items.push_back(ln);
            }
            if (!_s.footer.empty()) {
                std::string f = _s.footer;
                auto replace = [&f](const std::string& key, const std::string& val) {
                    for (std::size_t pos; (pos = f.find(key)) != std::string::npos;) f.replace(pos, key.size(), val);
                };
                replace("{page}", std::to_string(i + 1));
                replace("{pages}", std::to_string(pages));
                double y = _s.height - _s.marginBottom + 26;
                for (const auto& l : wrap(f, _width, Font::Regular, small, _m)) {
                    double w = _m.width(l, Font::Regular, small);
                    p.items.push_back(running(_left + (_width - w) / 2, y, l, small));
                    y += small * 1.2;
                }
            }
        }
        return p;
    }

private:
    const PageSetup& _s;
    const FontMetrics& _m;
    std::vector<Unit>& _u;
    std::vector<bool> _isHeader;
    double _left, _width, _top, _bottom;
};

} // namespace

std::vector<std::string> wrap(std::string_view t, double width, Font font, double size, const FontMetrics& m) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (true) {
        std::size_t nl = t.find('\n', start);
        std::string_view para = t.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
        if (!para.empty() && para.back() == '\r') para.remove_suffix(1);
        std::string tabsExpanded;
        if (para.find('\t') != std::string_view::npos) {
            tabsExpanded = std::string(para);
            std::replace(tabsExpanded.begin(), tabsExpanded.end(), '\t', ' ');
            para = tabsExpanded;
        }
        wrapParagraph(para, width, font, size, m, lines);
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    return lines;
}

namespace {

std::vector<Unit> flowOf(const std::vector<Block>& blocks, const PageSetup& setup, const FontMetrics& metrics) {
    FlowBuilder flow(setup, metrics);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        if (Deadline::expired()) break; // the caller reports the time limit
        flow.place(blocks[i], static_cast<int>(i));
    }
    return flow.take();
}

} // namespace

Document paginate(const std::vector<Block>& blocks, const PageSetup& setup, const FontMetrics& metrics) {
    std::vector<Unit> units = flowOf(blocks, setup, metrics);
    Paginator p(setup, metrics, units);
    const auto placement = p.choose();
    Document doc;
    for (const auto& placed : placement.pages) doc.pages.push_back(p.emit(placed));
    doc.spacingScale = placement.scale;
    p.addRunningElements(doc);
    return doc;
}

// The pagination rules need the whole flow (a break may move earlier lines along, the spacing of a
// short last page is compressed), so the places of every unit are decided first; then each page's
// items are made and handed over one at a time (each page's body, then its running header and
// footer), so that only one page's items exist at once beside the flow, and a backend may finish
// each page as soon as it has both.
std::size_t paginate(const std::vector<Block>& blocks, const PageSetup& setup, const FontMetrics& metrics, PageSink& sink) {
    std::vector<Unit> units = flowOf(blocks, setup, metrics);
    Paginator p(setup, metrics, units);
    const auto placement = p.choose();
    const std::size_t n = placement.pages.size();
    for (std::size_t i = 0; i < n; ++i) {
        sink.body(i, p.emit(placement.pages[i]));
        sink.running(i, p.running(i, n)); // the page count is known: the page is complete
    }
    return n;
}

std::vector<std::string_view> allText(const std::vector<Block>& blocks, const PageSetup& setup) {
    std::vector<std::string_view> out{setup.headerLeft, setup.headerRight, setup.footer};
    for (const auto& block : blocks) {
        std::visit([&out](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, TitleBlock>) { out.push_back(b.title); out.push_back(b.subtitle); }
            else if constexpr (std::is_same_v<T, HeadingBlock>) out.push_back(b.text);
            else if constexpr (std::is_same_v<T, PairsBlock>) { for (const auto& [l, v] : b.rows) { out.push_back(l); out.push_back(v); } }
            else if constexpr (std::is_same_v<T, ParagraphBlock>) { out.push_back(b.label); out.push_back(b.text); }
            else if constexpr (std::is_same_v<T, TableBlock>) {
                out.push_back(b.caption);
                out.push_back(b.emptyText);
                for (const auto& c : b.columns) out.push_back(c.title);
                for (const auto& r : b.rows) for (const auto& c : r) out.push_back(c);
            } else if constexpr (std::is_same_v<T, CheckboxBlock>) { out.push_back(b.label); for (const auto& i : b.items) out.push_back(i.label); }
            else if constexpr (std::is_same_v<T, ChartBlock>) {
                out.push_back(b.caption);
                out.push_back(b.categoryTitle);
                out.push_back(b.valueTitle);
                for (const auto& c : b.categories) out.push_back(c);
                for (const auto& s : b.series) out.push_back(s.name);
            } else if constexpr (std::is_same_v<T, SignatureBlock>) {
                out.push_back(b.mention);
                for (const auto& p : b.parties) { out.push_back(p.title); out.push_back(p.name); for (const auto& l : p.lines) out.push_back(l); }
            }
        }, block);
    }
    return out;
}

} // namespace passerelle::layout
