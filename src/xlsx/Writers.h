#pragma once
// One small writer per workbook; XlsxRenderer.cpp dispatches by form id.
// Internal to the xlsx layer.
#include <string>

#include "common/Status.h"
#include "forms/Validator.h"
#include "xlsx/XlsxRenderer.h"

namespace passerelle::xlsx::detail {

Result<std::string> writeBudget(const forms::FilledForm& filled, const XlsxOptions& options);
Result<std::string> writeActivite(const forms::FilledForm& filled, const XlsxOptions& options);
Result<std::string> writeGrille(const forms::FilledForm& filled, const XlsxOptions& options);

} // namespace passerelle::xlsx::detail
