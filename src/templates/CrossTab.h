#pragma once
// Cross tables: a table field in long format — one row per cell, with the
// cell's row and column (index and label), its value, and whether it is a
// total — shown as a matrix (a "table" block with "pivot") or drawn as a bar
// chart (a "chart" block). The figures, totals included, come from the form's
// derivation: the template only places them (docs/templates.md).
//
//   "pivot": {"row": "ligne", "rowLabel": "libelleLigne", "column": "colonne",
//             "columnLabel": "libelleColonne", "value": "nombre", "total": "total",
//             "corner": "Cibles"}
//
// Rows and columns are ordered by their indices (integers); a missing cell is
// blank. A chart leaves out the cells marked as totals: its series are the rows,
// its categories the columns. Pure.
#include <functional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "forms/FormDef.h"
#include "layout/Layout.h"

namespace passerelle::templates {

struct CrossTab {
    std::vector<std::string> rowLabels, columnLabels;
    std::vector<bool> rowIsTotal, columnIsTotal; // a row (column) whose every cell is a total
    std::vector<std::vector<std::string>> text;  // [row][column] shown text, "" when blank
    std::vector<std::vector<double>> values;     // [row][column] numbers, 0 when blank
};

// How a cell value is shown (the composer's display(): formats, redaction).
using CellDisplay = std::function<std::string(const forms::FieldDef& field, const Poco::Dynamic::Var& value, const std::string& path)>;

// Reads the long-format rows of `table` (path `path`) as `pivot` describes. Rows without indices are skipped.
CrossTab readCrossTab(const forms::FieldDef& table, const std::string& path, const Poco::JSON::Array::Ptr& rows,
                      const Poco::JSON::Object::Ptr& pivot, const CellDisplay& display);

// The matrix: the corner title, then one column per column label; one row per row label.
layout::TableBlock crossTabTable(const CrossTab& t, const std::string& caption, const std::string& corner, const std::string& emptyText);

// The bar chart of the cells that are not totals.
layout::ChartBlock crossTabChart(const CrossTab& t, const std::string& caption, const Poco::JSON::Object::Ptr& spec);

// The fields of `pivot` that must exist in the table (for checkTemplate): row, rowLabel, column, columnLabel, value, [total].
std::vector<std::string> crossTabFields(const Poco::JSON::Object::Ptr& pivot);

} // namespace passerelle::templates
