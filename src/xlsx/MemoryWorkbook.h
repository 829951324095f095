#pragma once
// MemoryWorkbook: a libxlsxwriter workbook whose file lives in memory.
//
// libxlsxwriter 1.1.4 has no memory output (`output_buffer` came later), so the
// workbook is written to an anonymous memfd through "/proc/self/fd/<fd>" and
// read back with pread. The parts libxlsxwriter assembles before zipping go to
// memfds too (MemoryWorkbook.cpp replaces lxw_tmpfile()). A memfd has no name in
// any file system: nothing is left behind whatever happens.
//
// Errors are sticky, like leveldb's TableBuilder::status(): every lxw_error is
// checked by the Sheet wrappers; the first one is kept, later calls do nothing,
// and finish() returns it. The destructor frees the workbook and closes the fd
// when finish() was never reached, so every path releases everything.
//
// Text is always written with worksheet_write_string: a value starting with
// "=", "+", "-" or "@" stays text, never a formula.
//
// Not thread-safe; one instance per rendered document.
#include <cstdint>
#include <ctime>
#include <map>
#include <set>
#include <vector>
#include <memory>
#include <string>

#include <xlsxwriter.h>

#include "common/Date.h"
#include "common/Money.h"
#include "common/Status.h"

namespace passerelle::xlsx {

// Euro amounts and percentages: US syntax with the French locale tag [$-40C],
// so that every reader shows "1 234,56 €" and "17,79 %" (no-break space before
// the sign), whatever its own locale (LibreOffice honours the tag; a French
// Excel shows the same).
inline constexpr const char* kEuroFormat = "[$-40C]#,##0.00\"\xC2\xA0\xE2\x82\xAC\"";
inline constexpr const char* kEuroAxisFormat = "[$-40C]#,##0\"\xC2\xA0\xE2\x82\xAC\"";
inline constexpr const char* kPercentFormat = "[$-40C]0.00\"\xC2\xA0\"%";
inline constexpr const char* kIntegerFormat = "0";

struct DocumentProperties {
    std::string title;
    std::string subject;
    std::string category;
    std::string comments;
    // Pinned creation date (00:00 UTC): same input, same bytes.
    Date created{2000, 1, 1};
};

class MemoryWorkbook;

// How a sheet prints, measured while it is written (MemoryWorkbook.cpp):
// column widths, the estimated height of every wrapped cell (so wrapped text
// never overlaps the next row: merged cells are never auto-fitted by readers),
// the blocks of rows that must stay on one page, the charts' extents. At
// finish(), each sheet gets its row heights, a print area covering exactly
// what was written (charts included), a print scale that fits the columns to
// the page width, and page breaks that never split a kept block.
struct SheetLayout {
    std::vector<double> columnWidths;        // characters (Excel units); default 8.43
    std::map<int, double> rowHeights;        // points, estimated or explicit
    std::map<int, lxw_format*> rowFormats;
    std::vector<std::pair<int, int>> keeps;  // inclusive row ranges kept on one page
    std::set<int> breaks;                    // rows that start a page
    int lastRow = -1, lastCol = -1;          // extent of what was written
    int printLastCol = -1;                   // >= 0: columns after it are left out of the print
    int repeatFirst = -1, repeatLast = -1;   // rows repeated at the top of every page
    bool landscape = true;
    bool printed = false;                    // printSetup() was called

    double columnWidth(int col) const;
    double rowHeight(int row) const;         // points (15 when not set)
    void touch(int row, int col);
};

// Printable size of an A4 page with the margins Sheet::printSetup() uses, in points.
double printableWidthPt(bool landscape);
double printableHeightPt(bool landscape);
// Width in points of a column of `width` characters (Excel: 7 px per character + 5 px, at 96 dpi).
double columnWidthPt(double width);
// Estimated number of lines of `text` wrapped in `widthPt` at `sizePt` (Arial
// metrics, widened for readers that substitute a wider face).
int estimateLines(const std::string& text, double widthPt, double sizePt, bool bold);
double lineHeightPt(double sizePt);
// The print plan of a sheet: the scale (percent) and the rows that start a new page.
struct PrintPlan {
    int scale = 100;
    std::vector<int> breaks;
};
PrintPlan planPrint(const SheetLayout& layout);

// A worksheet with checked writers. Cheap handle; owned by its MemoryWorkbook.
class Sheet {
public:
    Sheet(MemoryWorkbook* book, lxw_worksheet* ws, SheetLayout* layout) : _book(book), _ws(ws), _layout(layout) {}
    lxw_worksheet* raw() const { return _ws; }

    void text(int row, int col, const std::string& value, lxw_format* format = nullptr);
    void number(int row, int col, double value, lxw_format* format = nullptr);
    void cents(int row, int col, money::Cents value, lxw_format* format);
    // A live formula with its computed value (so readers that do not recalculate show it).
    void formula(int row, int col, const std::string& formula, double cached, lxw_format* format = nullptr);
    void formulaText(int row, int col, const std::string& formula, const std::string& cached, lxw_format* format = nullptr);
    void blank(int row, int col, lxw_format* format);
    void date(int row, int col, const Date& value, lxw_format* format);
    // Merges and writes text (the merged cell is text, never a formula).
    void mergeText(int firstRow, int firstCol, int lastRow, int lastCol, const std::string& value, lxw_format* format);
    void column(int firstCol, int lastCol, double width, lxw_format* format = nullptr);
    // Sets a row's height (points); the estimated height of its wrapped cells wins when taller.
    void row(int row, double height, lxw_format* format = nullptr);
    // A4 (landscape unless `portrait`), columns scaled to the page width, header
    // "&L<left>&R<right>" and footer "&L<footerLeft>&RPage n / N"; the print area,
    // scale and page breaks are computed at MemoryWorkbook::finish().
    void printSetup(const std::string& headerLeft, const std::string& headerRight, const std::string& footerLeft, bool portrait = false);
    // Rows [firstRow, lastRow] print on one page when they fit on one.
    void keepTogether(int firstRow, int lastRow);
    // Rows [firstRow, lastRow] are printed at the top of every page.
    void repeatRows(int firstRow, int lastRow);
    // Columns after `lastCol` stay out of the print (technical columns for import).
    void printColumnsUpTo(int lastCol);
    // The last row a chart inserted at `row` covers (for keeps and the print area).
    int chartLastRow(int row, double yScale) const;
    void conditionalFormula(int firstRow, int firstCol, int lastRow, int lastCol, const std::string& formula, lxw_format* format);
    void insertChart(int row, int col, lxw_chart* chart, double xScale = 1.0, double yScale = 1.0);
    void check(lxw_error error, const char* what);

private:
    // Records a written cell: extent, and the height its text needs when the format wraps.
    void measure(int firstRow, int firstCol, int lastRow, int lastCol, const std::string& text, lxw_format* format);

    MemoryWorkbook* _book;
    lxw_worksheet* _ws;
    SheetLayout* _layout;
};

class MemoryWorkbook {
public:
    // Opens the memfd and creates the workbook with pinned properties.
    static Result<std::unique_ptr<MemoryWorkbook>> create(const DocumentProperties& properties);
    ~MemoryWorkbook();
    MemoryWorkbook(const MemoryWorkbook&) = delete;
    MemoryWorkbook& operator=(const MemoryWorkbook&) = delete;

    lxw_workbook* raw() const { return _wb; }
    // NULL-safe: a failed add records the error and returns a Sheet on nullptr that ignores writes.
    Sheet addSheet(const std::string& name);
    lxw_format* addFormat();
    lxw_chart* addChart(uint8_t type);

    // Records the first error (sticky).
    void fail(const std::string& what, const std::string& detail);
    void check(lxw_error error, const char* what);
    bool ok() const { return _status.isOk(); }
    const Status& status() const { return _status; }

    // Closes the workbook (checking workbook_close()) and returns the bytes;
    // returns the first recorded error otherwise. Always releases the workbook and the fd.
    Result<std::string> finish();

private:
    MemoryWorkbook() = default;
    void release();
    // Applies each sheet's row heights, print area, scale, repeated rows and page breaks.
    void applyLayouts();

    int _fd = -1;
    std::vector<std::pair<lxw_worksheet*, std::unique_ptr<SheetLayout>>> _layouts;
    lxw_workbook* _wb = nullptr;
    std::string _path;
    // Property strings must outlive workbook_set_properties until close.
    std::string _title, _subject, _category, _comments, _author;
    Status _status;
};

// The formats every workbook uses (owned by the workbook).
struct Styles {
    lxw_format* title = nullptr;     // bold 14 pt
    lxw_format* label = nullptr;     // bold
    lxw_format* value = nullptr;     // wrapped text
    lxw_format* header = nullptr;    // bold, filled, bordered, centred, wrapped
    lxw_format* section = nullptr;   // bold 12 pt, filled band
    lxw_format* cell = nullptr;      // bordered wrapped text
    lxw_format* euro = nullptr;      // bordered euro amount
    lxw_format* euroPlain = nullptr; // euro amount without border
    lxw_format* euroTotal = nullptr; // bold euro amount, bordered, filled
    lxw_format* integer = nullptr;   // bordered integer
    lxw_format* integerTotal = nullptr;
    lxw_format* percent = nullptr;   // bordered percentage
    lxw_format* percentTotal = nullptr;
    lxw_format* totalLabel = nullptr; // bold, bordered, filled
    lxw_format* check = nullptr;     // bold, bordered (balance / consistency checks)
    lxw_format* ko = nullptr;        // conditional: white on red
    lxw_format* ok = nullptr;        // conditional: dark green on light green
    lxw_format* date = nullptr;      // dd/mm/yyyy, left aligned
    lxw_format* muted = nullptr;     // italic grey
};
Styles makeStyles(MemoryWorkbook& book);

// "A1" style reference of a 0-based cell; absolute parts on request.
std::string cellRef(int row, int col, bool absRow = false, bool absCol = false);
std::string rangeRef(int firstRow, int firstCol, int lastRow, int lastCol, bool absolute = false);
// Sheet name quoted for formulas: 'Budget'!
std::string sheetRef(const std::string& name);
// Header/footer text with '&' escaped and cut to stay under Excel's 255-char limit.
std::string headerText(const std::string& s, std::size_t maxBytes);
// Euros as a double for a cell (cents / 100).
inline double euros(money::Cents c) { return static_cast<double>(c) / 100.0; }

} // namespace passerelle::xlsx
