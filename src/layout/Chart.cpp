#include "layout/Chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace passerelle::layout {

namespace {

constexpr double kLabelSize = 8;     // tick, category and legend labels
constexpr double kLabelLine = 10.4;  // line pitch of those labels
constexpr double kSwatch = 7;        // legend colour square
constexpr double kPlotHeight = 150;  // bars' area

// Series colours: dark enough for white labels, distinct in grey print.
constexpr int kPalette[] = {0x2F5597, 0xED7D31, 0x70AD47, 0xFFC000, 0x7F3F98, 0x5B9BD5, 0xA5A5A5, 0x9E480E, 0x264478, 0x43682B};

Item text(double x, double baseline, std::string s, double size, Font f = Font::Regular, double gray = 0.2) {
    Item it;
    it.kind = Item::Kind::Text;
    it.x = x;
    it.y = baseline;
    it.text = std::move(s);
    it.size = size;
    it.font = f;
    it.gray = gray;
    return it;
}

Item line(double x, double y, double w, double h, double gray) {
    Item it;
    it.kind = Item::Kind::Line;
    it.x = x; it.y = y; it.w = w; it.h = h; it.gray = gray;
    return it;
}

// Whether black text reads better than white on this colour (relative luminance).
bool light(int rgb) {
    const double r = ((rgb >> 16) & 0xFF) / 255.0, g = ((rgb >> 8) & 0xFF) / 255.0, b = (rgb & 0xFF) / 255.0;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55;
}

std::string number(double v) {
    char buf[32];
    if (std::fabs(v - std::round(v)) < 1e-9) std::snprintf(buf, sizeof buf, "%.0f", v);
    else std::snprintf(buf, sizeof buf, "%.1f", v);
    std::string s = buf;
    for (auto& c : s) if (c == '.') c = ','; // French decimal comma
    return s;
}

// The highest value the axis must reach: the tallest stack, or the tallest bar.
double maxValue(const ChartBlock& b) {
    double top = 0;
    for (std::size_t c = 0; c < b.categories.size(); ++c) {
        double sum = 0;
        for (const auto& s : b.series) {
            const double v = c < s.values.size() ? std::max(0.0, s.values[c]) : 0;
            sum += v;
            top = std::max(top, v);
        }
        if (b.stacked) top = std::max(top, sum);
    }
    return top;
}

// A "nice" tick step (1, 2 or 5 × 10^k) giving at most 6 intervals up to `top`.
double tickStep(double top) {
    if (top <= 0) return 1;
    const double raw = top / 6;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) return std::max(1.0, m * mag);
    return std::max(1.0, 10 * mag);
}

struct LegendRow {
    std::vector<std::size_t> series;
};

std::vector<LegendRow> legendRows(const ChartBlock& b, double width, const FontMetrics& m) {
    std::vector<LegendRow> rows(1);
    double x = 0;
    for (std::size_t i = 0; i < b.series.size(); ++i) {
        const double w = kSwatch + 4 + m.width(b.series[i].name, Font::Regular, kLabelSize) + 14;
        if (x > 0 && x + w > width) { rows.emplace_back(); x = 0; }
        rows.back().series.push_back(i);
        x += w;
    }
    return rows;
}

// Lines of the category labels under the axis (the longest label wrapped in its band).
std::size_t categoryLines(const ChartBlock& b, double band, const FontMetrics& m) {
    std::size_t n = 1;
    for (const auto& c : b.categories) n = std::max(n, wrap(c, std::max(12.0, band - 2), Font::Regular, kLabelSize, m).size());
    return std::min<std::size_t>(n, 3);
}

struct Axis {
    double step = 1, max = 1, labelW = 0;
};

Axis valueAxis(const ChartBlock& b, const FontMetrics& m) {
    Axis a;
    const double top = maxValue(b);
    a.step = tickStep(top);
    a.max = std::max(a.step, std::ceil(top / a.step) * a.step);
    for (double v = 0; v <= a.max + 1e-9; v += a.step) a.labelW = std::max(a.labelW, m.width(number(v), Font::Regular, kLabelSize));
    return a;
}

// Width of one category's band.
double bandWidth(const ChartBlock& b, double width, const Axis& a) {
    const double plotW = width - a.labelW - 6;
    return b.categories.empty() ? plotW : plotW / static_cast<double>(b.categories.size());
}

} // namespace

int seriesColor(std::size_t index) { return kPalette[index % (sizeof kPalette / sizeof kPalette[0])]; }

double chartHeight(const ChartBlock& b, double width, const FontMetrics& m) {
    const double band = bandWidth(b, width, valueAxis(b, m));
    double h = kLabelLine;                              // value axis title
    h += kPlotHeight;                                   // bars
    h += 3 + categoryLines(b, band, m) * kLabelLine;    // category labels
    if (!b.categoryTitle.empty()) h += kLabelLine;      // category axis title
    h += 6 + legendRows(b, width, m).size() * kLabelLine;
    return h + 4;
}

std::vector<Item> layoutChart(const ChartBlock& b, double x0, double y0, double width, const FontMetrics& m) {
    std::vector<Item> out;
    // Pass 1: the value axis (labels at the left, light grid lines across).
    const Axis axis = valueAxis(b, m);
    const double step = axis.step, axisMax = axis.max, labelW = axis.labelW;
    const double plotX = x0 + labelW + 6, plotW = width - (plotX - x0);
    double y = y0;
    if (!b.valueTitle.empty()) out.push_back(text(x0, y + kLabelSize, b.valueTitle, kLabelSize, Font::Bold, 0.25));
    y += kLabelLine;
    const double plotTop = y + 8, plotBottom = y + kPlotHeight;
    const double scale = (plotBottom - plotTop) / axisMax;
    for (double v = 0; v <= axisMax + 1e-9; v += step) {
        const double gy = plotBottom - v * scale;
        out.push_back(line(plotX, gy, plotW, 0, v == 0 ? 0.3 : 0.85));
        const std::string l = number(v);
        out.push_back(text(plotX - 4 - m.width(l, Font::Regular, kLabelSize), gy + kLabelSize * 0.35, l, kLabelSize));
    }
    out.push_back(line(plotX, plotTop, 0, plotBottom - plotTop, 0.3));
    // Pass 2: the bars, one band per category: stacked (one bar, series on top of each other,
    // the total above) or side by side.
    const std::size_t nC = b.categories.size(), nS = b.series.size();
    const double band = bandWidth(b, width, axis);
    for (std::size_t c = 0; c < nC; ++c) {
        const double bx = plotX + c * band;
        if (b.stacked) {
            const double barW = band * 0.55, barX = bx + (band - barW) / 2;
            double base = plotBottom, sum = 0;
            for (std::size_t s = 0; s < nS; ++s) {
                const double v = c < b.series[s].values.size() ? std::max(0.0, b.series[s].values[c]) : 0;
                if (v <= 0) continue;
                Item bar;
                bar.kind = Item::Kind::FilledBox;
                bar.x = barX; bar.w = barW; bar.h = v * scale; bar.y = base - bar.h;
                bar.rgb = seriesColor(s);
                bar.gray = 0.5;
                out.push_back(bar);
                // The value inside its segment when there is room for it.
                const std::string l = number(v);
                if (bar.h >= kLabelSize + 2 && m.width(l, Font::Regular, kLabelSize) < barW - 2)
                    out.push_back(text(barX + (barW - m.width(l, Font::Regular, kLabelSize)) / 2, bar.y + bar.h / 2 + kLabelSize * 0.35, l,
                                       kLabelSize, Font::Regular, light(bar.rgb) ? 0.0 : 1.0));
                base -= bar.h;
                sum += v;
            }
            const std::string t = number(sum);
            out.push_back(text(barX + (barW - m.width(t, Font::Bold, kLabelSize)) / 2, base - 2, t, kLabelSize, Font::Bold, 0.1));
        } else {
            const double groupW = band * 0.8, barW = nS ? groupW / static_cast<double>(nS) : groupW;
            for (std::size_t s = 0; s < nS; ++s) {
                const double v = c < b.series[s].values.size() ? std::max(0.0, b.series[s].values[c]) : 0;
                if (v <= 0) continue;
                Item bar;
                bar.kind = Item::Kind::FilledBox;
                bar.x = bx + (band - groupW) / 2 + s * barW; bar.w = barW * 0.92; bar.h = v * scale; bar.y = plotBottom - bar.h;
                bar.rgb = seriesColor(s);
                bar.gray = 0.5;
                out.push_back(bar);
            }
        }
        // Category label, centred under its band.
        auto lines = wrap(b.categories[c], std::max(12.0, band - 2), Font::Regular, kLabelSize, m);
        for (std::size_t k = 0; k < lines.size() && k < 3; ++k) {
            const double w = m.width(lines[k], Font::Regular, kLabelSize);
            out.push_back(text(bx + (band - w) / 2, plotBottom + 3 + (k + 1) * kLabelLine - 2, lines[k], kLabelSize));
        }
    }
    y = plotBottom + 3 + categoryLines(b, band, m) * kLabelLine;
    if (!b.categoryTitle.empty()) {
        const double w = m.width(b.categoryTitle, Font::Bold, kLabelSize);
        out.push_back(text(plotX + (plotW - w) / 2, y + kLabelSize, b.categoryTitle, kLabelSize, Font::Bold, 0.25));
        y += kLabelLine;
    }
    // Pass 3: the legend, centred rows of colour squares and series names.
    y += 6;
    for (const auto& row : legendRows(b, width, m)) {
        double rowW = 0;
        for (std::size_t i : row.series) rowW += kSwatch + 4 + m.width(b.series[i].name, Font::Regular, kLabelSize) + 14;
        double lx = x0 + std::max(0.0, (width - rowW) / 2);
        for (std::size_t i : row.series) {
            Item sw;
            sw.kind = Item::Kind::FilledBox;
            sw.x = lx; sw.y = y + 1; sw.w = kSwatch; sw.h = kSwatch;
            sw.rgb = seriesColor(i);
            sw.gray = 0.5;
            out.push_back(sw);
            out.push_back(text(lx + kSwatch + 4, y + kSwatch, b.series[i].name, kLabelSize));
            lx += kSwatch + 4 + m.width(b.series[i].name, Font::Regular, kLabelSize) + 14;
        }
        y += kLabelLine;
    }
    return out;
}

} // namespace passerelle::layout
