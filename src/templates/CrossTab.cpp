#include "templates/CrossTab.h"

#include <map>

namespace passerelle::templates {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

Var child(const Var& row, const std::string& name) {
    if (name.empty() || row.type() != typeid(Object::Ptr)) return Var();
    auto o = row.extract<Object::Ptr>();
    return o->has(name) ? o->get(name) : Var();
}

std::string key(const Object::Ptr& pivot, const char* name) { return pivot ? pivot->optValue<std::string>(name, "") : ""; }

} // namespace

std::vector<std::string> crossTabFields(const Object::Ptr& pivot) {
    std::vector<std::string> out;
    for (const char* k : {"row", "rowLabel", "column", "columnLabel", "value", "total"})
        if (!key(pivot, k).empty()) out.push_back(key(pivot, k));
    return out;
}

CrossTab readCrossTab(const forms::FieldDef& table, const std::string& path, const Poco::JSON::Array::Ptr& rows, const Object::Ptr& pivot,
                      const CellDisplay& display) {
    CrossTab t;
    const std::string rowKey = key(pivot, "row"), rowLabel = key(pivot, "rowLabel"), colKey = key(pivot, "column"),
                      colLabel = key(pivot, "columnLabel"), valueKey = key(pivot, "value"), totalKey = key(pivot, "total");
    const forms::FieldDef* valueDef = table.child(valueKey);
    // Pass 1: the row and column indices in use, with their labels and whether all their cells are totals.
    std::map<long long, std::string> rowsSeen, colsSeen;
    std::map<long long, bool> rowTotal, colTotal;
    struct Cell { long long r, c; Var v; };
    std::vector<Cell> cells;
    for (unsigned i = 0; rows && i < rows->size(); ++i) {
        Var row = rows->get(i);
        Var r = child(row, rowKey), c = child(row, colKey);
        if (!r.isInteger() || !c.isInteger()) continue;
        const long long ri = r.convert<long long>(), ci = c.convert<long long>();
        Var rl = child(row, rowLabel), cl = child(row, colLabel), total = child(row, totalKey);
        const bool isTotal = !total.isEmpty() && total.isBoolean() && total.convert<bool>();
        rowsSeen.emplace(ri, rl.isEmpty() ? "" : rl.toString());
        colsSeen.emplace(ci, cl.isEmpty() ? "" : cl.toString());
        rowTotal[ri] = (rowTotal.count(ri) ? rowTotal[ri] : true) && isTotal;
        colTotal[ci] = (colTotal.count(ci) ? colTotal[ci] : true) && isTotal;
        cells.push_back({ri, ci, child(row, valueKey)});
    }
    // Pass 2: positions in index order, then the cells.
    std::map<long long, std::size_t> rowAt, colAt;
    for (const auto& [i, label] : rowsSeen) {
        rowAt[i] = t.rowLabels.size();
        t.rowLabels.push_back(label);
        t.rowIsTotal.push_back(rowTotal[i]);
    }
    for (const auto& [i, label] : colsSeen) {
        colAt[i] = t.columnLabels.size();
        t.columnLabels.push_back(label);
        t.columnIsTotal.push_back(colTotal[i]);
    }
    t.text.assign(t.rowLabels.size(), std::vector<std::string>(t.columnLabels.size()));
    t.values.assign(t.rowLabels.size(), std::vector<double>(t.columnLabels.size(), 0.0));
    for (const auto& cell : cells) {
        if (cell.v.isEmpty()) continue;
        const std::size_t r = rowAt[cell.r], c = colAt[cell.c];
        t.text[r][c] = valueDef ? display(*valueDef, cell.v, path + "." + valueKey) : cell.v.toString();
        if (cell.v.isNumeric()) t.values[r][c] = cell.v.convert<double>();
    }
    return t;
}

layout::TableBlock crossTabTable(const CrossTab& t, const std::string& caption, const std::string& corner, const std::string& emptyText) {
    layout::TableBlock tb;
    tb.caption = caption;
    tb.emptyText = emptyText;
    // The row labels are the widest column; the figures share the rest.
    tb.columns.push_back({corner, 3.0});
    for (const auto& c : t.columnLabels) tb.columns.push_back({c, 1.0});
    for (std::size_t r = 0; r < t.rowLabels.size(); ++r) {
        std::vector<std::string> cells{t.rowLabels[r]};
        cells.insert(cells.end(), t.text[r].begin(), t.text[r].end());
        tb.rows.push_back(std::move(cells));
    }
    return tb;
}

layout::ChartBlock crossTabChart(const CrossTab& t, const std::string& caption, const Object::Ptr& spec) {
    layout::ChartBlock cb;
    cb.caption = caption;
    cb.stacked = spec->optValue<bool>("stacked", true);
    cb.categoryTitle = spec->optValue<std::string>("categoryTitle", "");
    cb.valueTitle = spec->optValue<std::string>("valueTitle", "");
    std::vector<std::size_t> cols;
    for (std::size_t c = 0; c < t.columnLabels.size(); ++c)
        if (!t.columnIsTotal[c]) {
            cols.push_back(c);
            cb.categories.push_back(t.columnLabels[c]);
        }
    for (std::size_t r = 0; r < t.rowLabels.size(); ++r) {
        if (t.rowIsTotal[r]) continue;
        layout::ChartSeries s{t.rowLabels[r], {}};
        for (std::size_t c : cols) s.values.push_back(t.values[r][c]);
        cb.series.push_back(std::move(s));
    }
    return cb;
}

} // namespace passerelle::templates
