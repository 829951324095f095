#pragma once
// Bar charts laid out as primitive items (filled boxes, lines, text), so that
// every backend draws them with what it already draws. Internal to layout/:
// the Paginator places a ChartBlock whole on one page with chartHeight() and
// layoutChart(). Pure: no drawing.
#include <vector>

#include "layout/Layout.h"

namespace passerelle::layout {

// Height (points) the chart takes, caption excluded, at `width`.
double chartHeight(const ChartBlock& chart, double width, const FontMetrics& metrics);

// The chart's items, its top-left corner at (x, y), `width` wide, chartHeight() tall.
std::vector<Item> layoutChart(const ChartBlock& chart, double x, double y, double width, const FontMetrics& metrics);

// The colour of series `index` (0xRRGGBB), cycling through a palette readable in print.
int seriesColor(std::size_t index);

} // namespace passerelle::layout
