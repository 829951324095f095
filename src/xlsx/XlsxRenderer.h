#pragma once
// XLSX backend on libxlsxwriter: the only place that calls workbook_*/worksheet_*.
// Workbooks are built in memory (memfd; libxlsxwriter 1.1.4 has no memory
// output) and are byte-reproducible (fixed document properties).
#include <string>

#include "common/Status.h"
#include "forms/Validator.h"

namespace passerelle::xlsx {

struct XlsxOptions {
    std::string documentId;
    std::string today; // dd/mm/yyyy shown in headers
};

// True when `formId` has a workbook writer.
bool supports(const std::string& formId);

// Renders the workbook of a filled form. NotFound("format_unsupported") when the form has no workbook.
Result<std::string> render(const forms::FilledForm& filled, const XlsxOptions& options);

} // namespace passerelle::xlsx
