#include "layout/Layout.h"

#include <algorithm>

#include "common/Deadline.h"
#include "common/Text.h"
#include "layout/Chart.h"

namespace passerelle::layout {

double FixedWidthMetrics::width(std::string_view utf8, Font, double sizePt) const {
    return static_cast<double>(text::length(utf8)) * _advance * sizePt;
}

namespace {

// Splits `word` (no spaces) into pieces no wider than `width`, at code point boundaries.
void breakLongWord(std::string_view word, double width, Font font, double size, const FontMetrics& m,
                   std::vector<std::string>& lines) {
    std::string current;
    std::size_t i = 0;
    while (i < word.size()) {
        std::size_t n = text::sequenceLength(static_cast<unsigned char>(word[i]));
        std::string_view cp = word.substr(i, n);
        std::string candidate = current + std::string(cp);
        if (!current.empty() && m.width(candidate, font, size) > width) {
            lines.push_back(current);
            current = std::string(cp);
        } else {
            current = std::move(candidate);
        }
        i += n;
    }
    if (!current.empty()) lines.push_back(current);
}

void wrapParagraph(std::string_view para, double width, Font font, double size, const FontMetrics& m,
                   std::vector<std::string>& lines) {
    // Pass 1: words separated by spaces (runs of spaces keep one separator).
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < para.size()) {
        while (i < para.size() && para[i] == ' ') ++i;
        std::size_t start = i;
        while (i < para.size() && para[i] != ' ') ++i;
        if (i > start) words.push_back(para.substr(start, i - start));
    }
    if (words.empty()) { lines.emplace_back(); return; }
    // Pass 2: greedy filling by measured width.
    const double space = m.width(" ", font, size);
    std::string line;
    double lineWidth = 0;
    for (std::string_view w : words) {
        double ww = m.width(w, font, size);
        if (line.empty()) {
            if (ww > width) {
                std::vector<std::string> pieces;
                breakLongWord(w, width, font, size, m, pieces);
                for (std::size_t k = 0; k + 1 < pieces.size(); ++k) lines.push_back(pieces[k]);
                line = pieces.back();
                lineWidth = m.width(line, font, size);
            } else {
                line = std::string(w);
                lineWidth = ww;
            }
        } else if (lineWidth + space + ww <= width) {
            line += ' ';
            line.append(w);
            lineWidth += space + ww;
        } else {
            lines.push_back(line);
            line.clear();
            lineWidth = 0;
            if (ww > width) {
                std::vector<std::string> pieces;
                breakLongWord(w, width, font, size, m, pieces);
                for (std::size_t k = 0; k + 1 < pieces.size(); ++k) lines.push_back(pieces[k]);
                line = pieces.back();
                lineWidth = m.width(line, font, size);
            } else {
                line = std::string(w);
                lineWidth = ww;
            }
        }
    }
    lines.push_back(line);
}

constexpr double kCellPad = 3.0;
constexpr double kHeaderGray = 0.88;

class Paginator {
public:
    Paginator(const PageSetup& s, const FontMetrics& m) : _s(s), _m(m) {
        _left = s.marginLeft;
        _width = s.width - s.marginLeft - s.marginRight;
        _top = s.marginTop;
        _bottom = s.height - s.marginBottom;
        _lh = s.bodySize * s.lineFactor;
        newPage();
    }

    Document finish() {
        if (_sink) {
            flushBodies(0);
            addRunningElements();
            for (std::size_t i = 0; i < _doc.pages.size(); ++i) _sink->running(i, std::move(_doc.pages[i]));
            return Document{};
        }
        addRunningElements();
        return std::move(_doc);
    }
    void setSink(PageSink* sink) { _sink = sink; }
    std::size_t pageCount() const { return _doc.pages.size(); }

    void place(const Block& b) {
        std::visit([this](const auto& x) { this->layoutBlock(x); }, b);
    }

private:
    const PageSetup& _s;
    const FontMetrics& _m;
    Document _doc;
    PageSink* _sink = nullptr;
    std::size_t _flushed = 0; // pages before this one were handed to the sink (their items are gone)
    double _left, _width, _top, _bottom, _lh, _y = 0;

    Page& page() { return _doc.pages.back(); }
    void newPage() {
        _doc.pages.emplace_back();
        _y = _top;
        if (_sink) flushBodies(2);
    }
    // Hands every page but the last `keep` ones to the sink.
    void flushBodies(std::size_t keep) {
        while (_doc.pages.size() - _flushed > keep) {
            _sink->body(_flushed, std::move(_doc.pages[_flushed]));
            _doc.pages[_flushed] = Page{};
            ++_flushed;
        }
    }
    double room() const { return _bottom - _y; }
    double bodyHeight() const { return _bottom - _top; }
    bool atTop() const { return _y <= _top + 0.01; }

    void text(double x, double baseline, std::string s, Font f, double size, double gray = 0, double boxWidth = 0) {
        Item it;
        it.boxWidth = boxWidth;
        it.kind = Item::Kind::Text;
        it.x = x;
        it.y = baseline;
        it.text = std::move(s);
        it.font = f;
        it.size = size;
        it.gray = gray;
        page().items.push_back(std::move(it));
    }
    void line(double x, double y, double w, double h, double gray = 0.5) {
        Item it;
        it.kind = Item::Kind::Line;
        it.x = x; it.y = y; it.w = w; it.h = h; it.gray = gray;
        page().items.push_back(it);
    }
    void box(double x, double y, double w, double h, bool filled, double gray) {
        Item it;
        it.kind = filled ? Item::Kind::FilledBox : Item::Kind::Box;
        it.x = x; it.y = y; it.w = w; it.h = h; it.gray = gray;
        page().items.push_back(it);
    }
    std::vector<std::string> wrapText(std::string_view t, double w, Font f, double size) const {
        return wrap(t, w, f, size, _m);
    }
    // Baseline offset of a line box of height lh for font size `size`.
    static double ascent(double size) { return size * 0.95; }

    // ---- blocks ----
    void layoutBlock(const TitleBlock& b) {
        const double size = 16;
        auto lines = wrapText(b.title, _width, Font::Bold, size);
        for (const auto& l : lines) {
            ensure(size * 1.3);
            double w = _m.width(l, Font::Bold, size);
            text(_left + (_width - w) / 2, _y + ascent(size), l, Font::Bold, size);
            _y += size * 1.3;
        }
        if (!b.subtitle.empty()) {
            const double ss = 11;
            for (const auto& l : wrapText(b.subtitle, _width, Font::Regular, ss)) {
                ensure(ss * 1.3);
                double w = _m.width(l, Font::Regular, ss);
                text(_left + (_width - w) / 2, _y + ascent(ss), l, Font::Regular, ss, 0.25);
                _y += ss * 1.3;
            }
        }
        _y += 8;
    }

    void layoutBlock(const HeadingBlock& b) {
        const double size = b.level <= 1 ? 12.5 : 11;
        auto lines = wrapText(b.text, _width, Font::Bold, size);
        double h = 8 + lines.size() * size * 1.3 + 4;
        // Keep with next: a heading never ends a page. A section heading wants two body lines after
        // it; a sub-heading (an indicator, a record) heads a short unit (a level and the start of its
        // comment), which it keeps with four.
        const double after = (b.level >= 3 ? 4 : 2) * _lh;
        if (!atTop() && room() < h + after) newPage();
        if (!atTop()) _y += 8;
        for (const auto& l : lines) {
            ensure(size * 1.3);
            text(_left, _y + ascent(size), l, Font::Bold, size, b.level <= 1 ? 0.1 : 0.2);
            _y += size * 1.3;
        }
        if (b.level <= 1) line(_left, _y + 1, _width, 0, 0.4);
        _y += 4;
    }

    void layoutBlock(const PairsBlock& b) {
        const double labelW = _width * 0.34;
        const double gap = 8;
        const double valueW = _width - labelW - gap;
        for (const auto& [label, value] : b.rows) {
            auto ll = wrapText(label, labelW, Font::Bold, _s.bodySize);
            auto vl = wrapText(value, valueW, Font::Regular, _s.bodySize);
            std::size_t n = std::max(ll.size(), vl.size());
            double h = n * _lh + 2;
            // Short rows stay together; a long value flows over pages line by line.
            if (h > room() && (n <= 6 || h <= bodyHeight()) && h <= bodyHeight()) newPage();
            for (std::size_t i = 0; i < n; ++i) {
                ensure(_lh);
                if (i < ll.size()) text(_left, _y + ascent(_s.bodySize), ll[i], Font::Bold, _s.bodySize, 0.25);
                if (i < vl.size()) text(_left + labelW + gap, _y + ascent(_s.bodySize), vl[i], Font::Regular, _s.bodySize, 0, valueW);
                _y += _lh;
            }
            _y += 2;
        }
        _y += 2;
    }

    void layoutBlock(const ParagraphBlock& b) {
        if (!b.label.empty()) {
            auto ll = wrapText(b.label, _width, Font::Bold, _s.bodySize);
            if (room() < (ll.size() + 2) * _lh) newPage();
            for (const auto& l : ll) {
                ensure(_lh);
                text(_left, _y + ascent(_s.bodySize), l, Font::Bold, _s.bodySize, 0.25);
                _y += _lh;
            }
        }
        for (const auto& l : wrapText(b.text, _width, Font::Regular, _s.bodySize)) {
            ensure(_lh);
            text(_left, _y + ascent(_s.bodySize), l, Font::Regular, _s.bodySize, b.muted ? 0.35 : 0, _width);
            _y += _lh;
        }
        _y += 4;
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
        std::vector<std::string> titles;
        for (const auto& c : b.columns) titles.push_back(c.title);
        auto header = measureRow(titles, Font::Bold);
        const double headerH = lineCount(header) * lh + 2 * kCellPad;

        if (!b.caption.empty()) {
            if (room() < _lh + headerH + lh + 2 * kCellPad) newPage();
            for (const auto& l : wrapText(b.caption, _width, Font::Bold, _s.bodySize)) {
                ensure(_lh);
                text(_left, _y + ascent(_s.bodySize), l, Font::Bold, _s.bodySize, 0.25);
                _y += _lh;
            }
        }
        auto drawHeader = [&]() {
            box(_left, _y, _width, headerH, true, kHeaderGray);
            drawCells(header, 0, lineCount(header), xs, widths, headerH, lh, size, Font::Bold);
            _y += headerH;
        };
        if (room() < headerH + lh + 2 * kCellPad) newPage();
        drawHeader();
        if (b.rows.empty()) {
            // One cell across the whole table.
            auto lines = wrapText(b.emptyText, _width - 2 * kCellPad, Font::Regular, size);
            double h = lines.size() * lh + 2 * kCellPad;
            ensure(h);
            for (std::size_t i = 0; i < lines.size(); ++i)
                text(_left + kCellPad, _y + kCellPad + i * lh + ascent(size), lines[i], Font::Regular, size, 0.35);
            box(_left, _y, _width, h, false, 0.45);
            _y += h;
        }
        // Pass 3: place rows; a row that does not fit moves to the next page (header repeated);
        // a row taller than a page is split between lines.
        for (const auto& cells : b.rows) {
            if (Deadline::expired()) break; // the caller reports the time limit
            auto r = measureRow(cells, Font::Regular);
            std::size_t n = lineCount(r);
            double h = n * lh + 2 * kCellPad;
            if (h > room() && h <= bodyHeight() - headerH) {
                newPage();
                drawHeader();
            }
            std::size_t from = 0;
            while (from < n) {
                std::size_t fit = static_cast<std::size_t>((room() - 2 * kCellPad) / lh);
                if (fit == 0) {
                    newPage();
                    drawHeader();
                    continue;
                }
                std::size_t to = std::min(n, from + fit);
                double fh = (to - from) * lh + 2 * kCellPad;
                drawCells(r, from, to, xs, widths, fh, lh, size, Font::Regular);
                _y += fh;
                from = to;
                if (from < n) {
                    newPage();
                    drawHeader();
                }
            }
        }
        _y += 6;
    }

    void drawCells(const std::vector<std::vector<std::string>>& cells, std::size_t from, std::size_t to,
                   const std::vector<double>& xs, const std::vector<double>& widths, double h, double lh,
                   double size, Font f) {
        for (std::size_t c = 0; c < cells.size(); ++c) {
            for (std::size_t i = from; i < to && i < cells[c].size(); ++i)
                text(xs[c] + kCellPad, _y + kCellPad + (i - from) * lh + ascent(size), cells[c][i], f, size, 0,
                     widths[c] - 2 * kCellPad);
            box(xs[c], _y, widths[c], h, false, 0.45);
        }
    }

    void layoutBlock(const CheckboxBlock& b) {
        const double boxSize = 8;
        if (!b.label.empty()) {
            if (room() < 3 * _lh) newPage();
            for (const auto& l : wrapText(b.label, _width, Font::Bold, _s.bodySize)) {
                ensure(_lh);
                text(_left, _y + ascent(_s.bodySize), l, Font::Bold, _s.bodySize, 0.25);
                _y += _lh;
            }
        }
        // Two columns of items when there are several.
        const bool twoCols = b.items.size() > 3;
        const double colW = twoCols ? _width / 2 : _width;
        for (std::size_t i = 0; i < b.items.size(); i += twoCols ? 2 : 1) {
            double rowLines = 1;
            std::vector<std::vector<std::string>> labels;
            for (std::size_t k = i; k < b.items.size() && k < i + (twoCols ? 2 : 1); ++k) {
                labels.push_back(wrapText(b.items[k].label, colW - boxSize - 10, Font::Regular, _s.bodySize));
                rowLines = std::max(rowLines, static_cast<double>(labels.back().size()));
            }
            ensure(rowLines * _lh);
            for (std::size_t k = 0; k < labels.size(); ++k) {
                double x = _left + k * colW;
                const auto& item = b.items[i + k];
                box(x, _y + 1.5, boxSize, boxSize, false, 0.2);
                if (item.checked) text(x + 1.6, _y + 1.5 + boxSize - 1.2, "X", Font::Bold, 8);
                for (std::size_t l = 0; l < labels[k].size(); ++l)
                    text(x + boxSize + 5, _y + l * _lh + ascent(_s.bodySize), labels[k][l],
                         item.checked ? Font::Bold : Font::Regular, _s.bodySize, item.checked ? 0 : 0.3);
            }
            _y += rowLines * _lh + 1;
        }
        _y += 4;
    }

    void layoutBlock(const SignatureBlock& b) {
        if (b.parties.empty()) return;
        const double gap = 10;
        const std::size_t perRow = std::min<std::size_t>(3, b.parties.size());
        const double colW = (_width - gap * (perRow - 1)) / perRow;
        const double signH = 55;
        // Keep-together: the whole block (all parties) moves to a new page if it does not fit.
        std::vector<std::vector<std::string>> cols;
        double maxLines = 0;
        for (const auto& p : b.parties) {
            std::vector<std::string> lines;
            for (const auto& l : wrapText(p.title, colW - 8, Font::Bold, _s.bodySize)) lines.push_back("\x01" + l);
            if (!p.name.empty()) for (const auto& l : wrapText(p.name, colW - 8, Font::Regular, _s.bodySize)) lines.push_back(l);
            for (const auto& extra : p.lines)
                for (const auto& l : wrapText(extra, colW - 8, Font::Regular, _s.bodySize - 1)) lines.push_back("\x02" + l);
            maxLines = std::max(maxLines, static_cast<double>(lines.size()));
            cols.push_back(std::move(lines));
        }
        std::size_t rows = (b.parties.size() + perRow - 1) / perRow;
        double rowH = maxLines * _lh + signH + 12;
        double total = rows * rowH + 6;
        if (total > room() && !atTop()) newPage();
        _y += 6;
        for (std::size_t r = 0; r < rows; ++r) {
            ensure(rowH);
            for (std::size_t k = 0; k < perRow && r * perRow + k < cols.size(); ++k) {
                double x = _left + k * (colW + gap);
                box(x, _y, colW, rowH - 6, false, 0.45);
                page().items.back().signatureBox = true;
                double y = _y + 4;
                for (const auto& l : cols[r * perRow + k]) {
                    if (!l.empty() && l[0] == '\x01') text(x + 4, y + ascent(_s.bodySize), l.substr(1), Font::Bold, _s.bodySize);
                    else if (!l.empty() && l[0] == '\x02') text(x + 4, y + ascent(_s.bodySize - 1), l.substr(1), Font::Regular, _s.bodySize - 1, 0.3);
                    else text(x + 4, y + ascent(_s.bodySize), l, Font::Regular, _s.bodySize, 0, colW - 8);
                    y += _lh;
                }
            }
            _y += rowH;
        }
    }

    // A chart and its caption on one page.
    void layoutBlock(const ChartBlock& b) {
        const double h = chartHeight(b, _width, _m);
        auto caption = wrapText(b.caption, _width, Font::Bold, _s.bodySize);
        const double captionH = b.caption.empty() ? 0 : caption.size() * _lh;
        if (!atTop() && room() < captionH + h + 6) newPage();
        if (!atTop()) _y += 6;
        for (const auto& l : caption) {
            text(_left, _y + ascent(_s.bodySize), l, Font::Bold, _s.bodySize, 0.25);
            _y += _lh;
        }
        for (auto& it : layoutChart(b, _left, _y, _width, _m)) page().items.push_back(std::move(it));
        _y = std::min(_bottom, _y + h + 6);
    }

    void layoutBlock(const SpacerBlock& b) {
        if (!atTop()) _y = std::min(_bottom, _y + b.height);
    }
    void layoutBlock(const PageBreakBlock&) {
        if (!atTop()) newPage();
    }

    void ensure(double h) {
        if (h > room() && !atTop()) newPage();
    }

    // Running header and footer, once the page count is known.
    void addRunningElements() {
        const std::size_t pages = _doc.pages.size();
        const double small = 8;
        for (std::size_t i = 0; i < pages; ++i) {
            Page& p = _doc.pages[i];
            double headerBase = _s.marginTop - 22;
            if (!_s.headerLeft.empty() || !_s.headerRight.empty()) {
                double rightW = _s.headerRight.empty() ? 0 : _m.width(_s.headerRight, Font::Regular, small);
                double leftMax = _width - rightW - 12;
                auto left = wrap(_s.headerLeft, leftMax > 40 ? leftMax : _width, Font::Regular, small, _m);
                // The running header is one line: a longer one continues under it rather than being cut.
                double y = headerBase - (left.size() > 1 ? (left.size() - 1) * small * 1.2 : 0);
                for (const auto& l : left) {
                    Item it; it.kind = Item::Kind::Text; it.x = _left; it.y = y; it.text = l; it.size = small; it.gray = 0.35;
                    p.items.push_back(it);
                    y += small * 1.2;
                }
                if (rightW > 0) {
                    Item it; it.kind = Item::Kind::Text; it.x = _left + _width - rightW; it.y = headerBase;
                    it.text = _s.headerRight; it.size = small; it.gray = 0.35;
                    p.items.push_back(it);
                }
                Item ln; ln.kind = Item::Kind::Line; ln.x = _left; ln.y = headerBase + 4; ln.w = _width; ln.gray = 0.6;
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
                    Item it; it.kind = Item::Kind::Text; it.x = _left + (_width - w) / 2; it.y = y; it.text = l; it.size = small; it.gray = 0.35;
                    p.items.push_back(it);
                    y += small * 1.2;
                }
            }
        }
    }
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

Document paginate(const std::vector<Block>& blocks, const PageSetup& setup, const FontMetrics& metrics) {
    Paginator p(setup, metrics);
    for (const auto& b : blocks) {
        if (Deadline::expired()) break; // the caller reports the time limit
        p.place(b);
    }
    return p.finish();
}

std::size_t paginate(const std::vector<Block>& blocks, const PageSetup& setup, const FontMetrics& metrics, PageSink& sink) {
    Paginator p(setup, metrics);
    p.setSink(&sink);
    for (const auto& b : blocks) p.place(b);
    std::size_t pages = p.pageCount();
    p.finish();
    return pages;
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
                for (const auto& p : b.parties) { out.push_back(p.title); out.push_back(p.name); for (const auto& l : p.lines) out.push_back(l); }
            }
        }, block);
    }
    return out;
}

} // namespace passerelle::layout
