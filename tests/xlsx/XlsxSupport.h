#pragma once
// Reading workbooks back with real readers: openpyxl (Debian's /usr/bin/python3
// with python3-openpyxl) through inspect_workbook.py, and LibreOffice headless
// with recalculation on load forced.
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "service/RenderService.h"

namespace passerelle::testing::xlsx {

// The JSON dump of inspect_workbook.py, with helpers.
class Workbook {
public:
    explicit Workbook(Poco::JSON::Object::Ptr json) : _json(std::move(json)) {}
    const Poco::JSON::Object::Ptr& json() const { return _json; }
    std::vector<std::string> sheets() const;
    bool has(const std::string& ref) const; // "Budget!D22"
    Poco::Dynamic::Var value(const std::string& ref) const;   // formula text or value
    Poco::Dynamic::Var cached(const std::string& ref) const;  // cached value
    double number(const std::string& ref) const;              // cached value as a number (NaN when absent)
    std::string text(const std::string& ref) const;           // value as text ("" when absent)
    std::string type(const std::string& ref) const;           // openpyxl data_type: s, n, f, d
    std::string format(const std::string& ref) const;         // number format
    // First cell of `sheet` (row-major) whose value is exactly `text`: "B12", or "" when none.
    std::string find(const std::string& sheet, const std::string& text) const;
    // Every cell reference of a sheet holding a value: "A1", ...
    std::vector<std::string> cells(const std::string& sheet) const;
    Poco::JSON::Object::Ptr print(const std::string& sheet) const;
    Poco::JSON::Array::Ptr conditional(const std::string& sheet) const;
    Poco::JSON::Array::Ptr charts() const;
    Poco::JSON::Object::Ptr properties() const;
    bool hasPart(const std::string& name) const;

private:
    Poco::JSON::Object::Ptr cell(const std::string& ref) const;
    Poco::JSON::Object::Ptr _json;
};

// "B12" -> (11, 1); and back.
int rowOf(const std::string& ref);
int colOf(const std::string& ref);
std::string ref(int row, int col);

Workbook inspectFile(const std::string& path);
Workbook inspect(const std::string& bytes);

// Rewrites with openpyxl: formulas kept, cached values dropped, edits applied ("Budget!C14=51").
void stripAndEdit(const std::string& in, const std::string& out, const std::vector<std::string>& edits = {});

// Every part of the package (zip member) that contains one of the canaries: "part: canary", empty when none.
// `parts` receives the names of all parts scanned.
std::vector<std::string> partsContaining(const std::string& bytes, const std::vector<std::string>& canaries,
                                         std::vector<std::string>* parts = nullptr);

// Converts every file to .xlsx in `outDir` with LibreOffice headless, forcing
// recalculation on load (fresh profile). Returns the converted paths, same order.
std::vector<std::string> libreOfficeRecalc(const std::vector<std::string>& files, const std::string& outDir);

// Prints every file to PDF in `outDir` with LibreOffice headless (fresh profile), as a funder would
// print the workbook; returns the PDF paths, same order.
std::vector<std::string> libreOfficePdf(const std::vector<std::string>& files, const std::string& outDir);
// pdftotext -layout of one page (1-based) of a PDF, and its page count (pdfinfo).
std::string pdfPageText(const std::string& pdf, int page);
int pdfPages(const std::string& pdf);

Poco::JSON::Object::Ptr example(const std::string& name); // examples/<name>.json
Result<service::Rendered> render(const std::string& form, const Poco::JSON::Object::Ptr& data, const std::string& format);
// Renders or fails the test.
std::string renderOk(const std::string& form, const Poco::JSON::Object::Ptr& data, const std::string& format);
Poco::JSON::Object::Ptr clone(const Poco::JSON::Object::Ptr& o);

} // namespace passerelle::testing::xlsx
