#pragma once
// XLSX backend on libxlsxwriter: the only place that calls workbook_*/worksheet_*.
// One small writer per workbook: budget-annexe (BudgetWorkbook.cpp), activite
// (ActiviteWorkbook.cpp), grille-capacite-habiter (GrilleWorkbook.cpp), over a
// shared in-memory workbook (MemoryWorkbook.h: memfd, libxlsxwriter 1.1.4 has
// no memory output). Totals are live formulas written with their computed
// values; text is always text. Byte-reproducible: document properties are
// pinned to the document's own date (budget date, bilan date, evaluation date).
// Thread-safe: each call builds its own workbook.
#include <set>
#include <string>

#include "common/Status.h"
#include "forms/Validator.h"

namespace passerelle::xlsx {

struct XlsxOptions {
    std::string documentId;            // shown in footers and document properties
    std::string today;                 // dd/mm/yyyy; unused: workbooks show the document's own date (reproducible)
    std::set<std::string> redacted{};  // dotted field paths left out (consent gate); honoured by the grille writer
};

// True when `formId` has a workbook writer.
bool supports(const std::string& formId);

// Renders the workbook of a filled form. NotFound("format_unsupported") when the form has no workbook.
Result<std::string> render(const forms::FilledForm& filled, const XlsxOptions& options);

} // namespace passerelle::xlsx
