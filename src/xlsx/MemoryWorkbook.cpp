#include "xlsx/MemoryWorkbook.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/Text.h"

namespace passerelle::xlsx {

namespace {

Status libraryError(const std::string& what, const std::string& detail) {
    return Status::internal("xlsx_failed", "Le classeur n'a pas pu être produit (" + what + " : " + detail + ").");
}

} // namespace

} // namespace passerelle::xlsx

// libxlsxwriter 1.1.4 assembles each XML part in a tmpfile (lxw_tmpfile(), in
// TMPDIR or /tmp) before zipping it. Its internal calls go through the PLT, so
// this definition takes precedence over the library's: parts live in anonymous
// memfds and nothing touches the file system, even when the process dies half
// way. Same contract as the original: a FILE* open for update, or NULL.
extern "C" FILE* lxw_tmpfile(char* /*tmpdir*/) {
    int fd = memfd_create("passerelle-xlsx-part", MFD_CLOEXEC);
    if (fd < 0) return nullptr;
    FILE* f = fdopen(fd, "w+b");
    if (!f) ::close(fd);
    return f;
}

// libxlsxwriter zips each part through minizip (Debian: libminizip.so, called
// through the PLT like lxw_tmpfile), with zlib's default level and a full 32 KB
// window and 8 memLevel: setting up deflate for ~20 parts of a few KB each,
// allocating and clearing those tables, is most of the packaging time. This
// definition takes precedence and forwards to minizip's with settings made for
// small parts: level 1, 8 KB window, memLevel 7 — the output is a plain deflate
// stream every reader inflates (figures in bench/xlsx_bench.cpp).
// PASSERELLE_XLSX_DEFLATE=default keeps minizip's settings (for the comparison).
extern "C" int zipOpenNewFileInZip4_64(void* file, const char* filename, const void* zipfi, const void* extraLocal, unsigned sizeLocal,
                                       const void* extraGlobal, unsigned sizeGlobal, const char* comment, int method, int level, int raw,
                                       int windowBits, int memLevel, int strategy, const char* password, unsigned long crc,
                                       unsigned long versionMadeBy, unsigned long flagBase, int zip64) {
    using Real = int (*)(void*, const char*, const void*, const void*, unsigned, const void*, unsigned, const char*, int, int, int, int, int,
                         int, const char*, unsigned long, unsigned long, unsigned long, int);
    static const Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "zipOpenNewFileInZip4_64"));
    static const bool tuned = [] {
        const char* e = std::getenv("PASSERELLE_XLSX_DEFLATE");
        return !(e && std::strcmp(e, "default") == 0);
    }();
    if (!real) return -104; // ZIP_INTERNALERROR: workbook_close() reports it
    if (tuned && method == 8 /* Z_DEFLATED */ && !raw) {
        level = 1;
        windowBits = windowBits < 0 ? -13 : 13;
        memLevel = 7;
    }
    return real(file, filename, zipfi, extraLocal, sizeLocal, extraGlobal, sizeGlobal, comment, method, level, raw, windowBits, memLevel,
                strategy, password, crc, versionMadeBy, flagBase, zip64);
}

namespace passerelle::xlsx {

// ---- Print layout ------------------------------------------------------------------------------------

namespace {

// A4 in points and the margins printSetup() sets (left/right 0.5 in, top/bottom 0.75 in).
constexpr double kA4LongPt = 841.89, kA4ShortPt = 595.28;
constexpr double kMarginSidePt = 36.0, kMarginTopBottomPt = 54.0;
// Room kept free on each page for what the estimate cannot know (a reader's own
// row heights, a wider substitute font).
constexpr double kPageSafety = 0.94;
// A reader without Calibri (the workbook's default font) sizes columns by the
// digit width of its substitute: LibreOffice with Noto Sans makes them 1.2 ×
// wider than Excel. The print scale is computed for the wider case, so that
// every column fits the page width in both.
constexpr double kReaderColumnFactor = 1.2;
// Chart size at scale 1 (libxlsxwriter's default), in pixels at 96 dpi.
constexpr double kChartWidthPx = 480, kChartHeightPx = 288;

// Advance widths of Helvetica/Arial (1/1000 em), ASCII 32..126.
constexpr short kArialWidths[95] = {
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584};

// Width of one code point in 1/1000 em.
double advance(char32_t cp) {
    if (cp >= 32 && cp < 127) return kArialWidths[cp - 32];
    if (cp == 0xA0 || cp == 0x202F) return 278;
    if (cp >= 0xC0 && cp <= 0xDE) return 722;  // accented capitals
    if (cp >= 0xDF && cp <= 0x24F) return 556; // accented small letters, œ, …
    if (cp == 0x2019 || cp == 0x2018) return 222;
    if (cp == 0x2013) return 556;
    if (cp == 0x2014 || cp == 0x2026) return 1000;
    return 600;
}

} // namespace

double SheetLayout::columnWidth(int col) const {
    return col >= 0 && col < static_cast<int>(columnWidths.size()) && columnWidths[static_cast<std::size_t>(col)] > 0
               ? columnWidths[static_cast<std::size_t>(col)]
               : LXW_DEF_COL_WIDTH;
}

double SheetLayout::rowHeight(int row) const {
    auto it = rowHeights.find(row);
    return it == rowHeights.end() ? LXW_DEF_ROW_HEIGHT : it->second;
}

void SheetLayout::touch(int row, int col) {
    lastRow = std::max(lastRow, row);
    lastCol = std::max(lastCol, col);
}

double printableWidthPt(bool landscape) { return (landscape ? kA4LongPt : kA4ShortPt) - 2 * kMarginSidePt; }
double printableHeightPt(bool landscape) { return (landscape ? kA4ShortPt : kA4LongPt) - 2 * kMarginTopBottomPt; }
double columnWidthPt(double width) { return (width * 7.0 + 5.0) * 0.75; }
// Line pitch of a wrapped cell: Arial needs 1.15 × size, the faces readers substitute for it (Noto Sans) 1.36 ×.
double lineHeightPt(double sizePt) { return sizePt * 1.38; }

int estimateLines(const std::string& text, double widthPt, double sizePt, bool bold) {
    // Wider than Arial on purpose: a reader without Arial substitutes a wider face (Noto Sans, DejaVu Sans).
    const double scale = sizePt / 1000.0 * (bold ? 1.08 : 1.0) * 1.06;
    const double room = std::max(10.0, widthPt - 6.0); // cell padding
    const double space = advance(' ') * scale;
    int lines = 1;
    double x = 0, word = 0;
    bool pending = false; // a word is being measured
    auto endWord = [&]() {
        if (!pending) return;
        if (x > 0 && x + space + word > room) { ++lines; x = 0; }
        else if (x > 0) x += space;
        // A word wider than the cell breaks between letters.
        while (word > room) { ++lines; word -= room; }
        x += word;
        word = 0;
        pending = false;
    };
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        std::size_t n = text::sequenceLength(c);
        if (n == 0 || i + n > text.size()) n = 1;
        char32_t cp = c;
        if (n > 1) {
            cp = c & (0x7F >> n);
            for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        }
        i += n;
        if (cp == '\n') { endWord(); ++lines; x = 0; continue; }
        if (cp == ' ' || cp == '\t' || cp == '\r') { endWord(); continue; }
        word += advance(cp) * scale;
        pending = true;
    }
    endWord();
    return lines;
}

PrintPlan planPrint(const SheetLayout& l) {
    PrintPlan plan;
    const int lastCol = l.printLastCol >= 0 ? std::min(l.printLastCol, l.lastCol) : l.lastCol;
    double widthPt = 0;
    for (int c = 0; c <= lastCol; ++c) widthPt += columnWidthPt(l.columnWidth(c)) * kReaderColumnFactor;
    if (widthPt > printableWidthPt(l.landscape)) plan.scale = static_cast<int>(100.0 * printableWidthPt(l.landscape) / widthPt);
    plan.scale = std::max(40, std::min(100, plan.scale));
    // Sheet points that fit on one page at that scale.
    const double page = printableHeightPt(l.landscape) * kPageSafety * 100.0 / plan.scale;
    double repeated = 0;
    for (int r = l.repeatFirst; r >= 0 && r <= l.repeatLast; ++r) repeated += l.rowHeight(r);
    // Greedy pass: rows fill the page; a kept block that would cross the bottom starts the next page
    // (unless it could not fit on any page anyway); forced breaks start a page.
    std::map<int, int> keepEnd; // first row -> last row of the longest kept block starting there
    for (const auto& [a, b] : l.keeps) keepEnd[a] = std::max(keepEnd.count(a) ? keepEnd[a] : a, b);
    auto height = [&](int a, int b) { double h = 0; for (int r = a; r <= b; ++r) h += l.rowHeight(r); return h; };
    double used = 0, room = page;
    int pending = -1; // end of the kept block being placed
    for (int r = 0; r <= l.lastRow; ++r) {
        const double h = l.rowHeight(r);
        bool breakHere = r > 0 && l.breaks.count(r) > 0;
        if (!breakHere && r > pending) {
            auto k = keepEnd.find(r);
            if (k != keepEnd.end()) {
                const int end = std::min(k->second, l.lastRow);
                const double block = height(r, end);
                if (block <= page - repeated) {
                    if (used > 0 && used + block > room) breakHere = true;
                    pending = end; // blocks inside it need no decision of their own
                }
            }
        }
        if (!breakHere && used > 0 && used + h > room) breakHere = true;
        if (breakHere && used > 0) {
            plan.breaks.push_back(r);
            used = 0;
            room = page - repeated;
        }
        used += h;
    }
    return plan;
}

// ---- MemoryWorkbook --------------------------------------------------------------------------------

Result<std::unique_ptr<MemoryWorkbook>> MemoryWorkbook::create(const DocumentProperties& p) {
    std::unique_ptr<MemoryWorkbook> book(new MemoryWorkbook());
    book->_fd = memfd_create("passerelle-xlsx", MFD_CLOEXEC);
    if (book->_fd < 0) return libraryError("memfd_create", std::strerror(errno));
    book->_path = "/proc/self/fd/" + std::to_string(book->_fd);
    lxw_workbook_options options{};
    options.constant_memory = LXW_FALSE; // constant memory mode would spill worksheets to tmpfiles
    options.tmpdir = nullptr;
    options.use_zip64 = LXW_FALSE;
    book->_wb = workbook_new_opt(book->_path.c_str(), &options);
    if (!book->_wb) return libraryError("workbook_new", "allocation");
    book->_title = p.title;
    book->_subject = p.subject;
    book->_category = p.category;
    book->_comments = p.comments;
    book->_author = "Passerelle";
    lxw_doc_properties props{};
    props.title = book->_title.data();
    props.subject = book->_subject.data();
    props.author = book->_author.data();
    props.category = book->_category.data();
    props.comments = book->_comments.data();
    props.created = static_cast<time_t>(p.created.toDays()) * 86400;
    book->check(workbook_set_properties(book->_wb, &props), "workbook_set_properties");
    if (!book->ok()) return book->status();
    return book;
}

MemoryWorkbook::~MemoryWorkbook() { release(); }

void MemoryWorkbook::release() {
    if (_wb) {
        lxw_workbook_free(_wb); // never closed: free without writing
        _wb = nullptr;
    }
    if (_fd >= 0) {
        ::close(_fd);
        _fd = -1;
    }
}

void MemoryWorkbook::fail(const std::string& what, const std::string& detail) {
    if (_status.isOk()) _status = libraryError(what, detail);
}

void MemoryWorkbook::check(lxw_error error, const char* what) {
    if (error != LXW_NO_ERROR) fail(what, lxw_strerror(error));
}

Sheet MemoryWorkbook::addSheet(const std::string& name) {
    lxw_worksheet* ws = ok() ? workbook_add_worksheet(_wb, name.c_str()) : nullptr;
    if (!ws) {
        fail("workbook_add_worksheet", name);
        return Sheet(this, nullptr, nullptr);
    }
    _layouts.emplace_back(ws, std::make_unique<SheetLayout>());
    return Sheet(this, ws, _layouts.back().second.get());
}

void MemoryWorkbook::applyLayouts() {
    for (auto& [ws, l] : _layouts) {
        // Pass 1: row heights (estimated for wrapped text, or explicit), with the row's format.
        for (const auto& [r, h] : l->rowHeights) {
            auto f = l->rowFormats.find(r);
            check(worksheet_set_row(ws, static_cast<lxw_row_t>(r), h, f == l->rowFormats.end() ? nullptr : f->second), "worksheet_set_row");
        }
        for (const auto& [r, f] : l->rowFormats)
            if (!l->rowHeights.count(r)) check(worksheet_set_row(ws, static_cast<lxw_row_t>(r), LXW_DEF_ROW_HEIGHT, f), "worksheet_set_row");
        if (!l->printed || l->lastRow < 0) continue;
        // Pass 2: print area, scale and page breaks.
        const int lastCol = l->printLastCol >= 0 ? std::min(l->printLastCol, l->lastCol) : l->lastCol;
        check(worksheet_print_area(ws, 0, 0, static_cast<lxw_row_t>(l->lastRow), static_cast<lxw_col_t>(lastCol)), "worksheet_print_area");
        if (l->repeatFirst >= 0)
            check(worksheet_repeat_rows(ws, static_cast<lxw_row_t>(l->repeatFirst), static_cast<lxw_row_t>(l->repeatLast)), "worksheet_repeat_rows");
        PrintPlan plan = planPrint(*l);
        worksheet_set_print_scale(ws, static_cast<uint16_t>(plan.scale));
        if (!plan.breaks.empty()) {
            // libxlsxwriter keeps a pointer-free copy: the array may go after the call.
            std::vector<lxw_row_t> breaks;
            for (int b : plan.breaks) if (breaks.size() < 1023) breaks.push_back(static_cast<lxw_row_t>(b));
            breaks.push_back(0);
            check(worksheet_set_h_pagebreaks(ws, breaks.data()), "worksheet_set_h_pagebreaks");
        }
    }
}

lxw_format* MemoryWorkbook::addFormat() {
    lxw_format* f = workbook_add_format(_wb);
    if (!f) fail("workbook_add_format", "allocation");
    return f;
}

lxw_chart* MemoryWorkbook::addChart(uint8_t type) {
    lxw_chart* c = ok() ? workbook_add_chart(_wb, type) : nullptr;
    if (!c) fail("workbook_add_chart", "allocation");
    return c;
}

Result<std::string> MemoryWorkbook::finish() {
    if (!ok()) {
        release();
        return _status;
    }
    applyLayouts();
    if (!ok()) {
        release();
        return _status;
    }
    // workbook_close() writes the package and frees the workbook, even when it fails.
    lxw_error closed = workbook_close(_wb);
    _wb = nullptr;
    if (closed != LXW_NO_ERROR) {
        fail("workbook_close", lxw_strerror(closed));
        release();
        return _status;
    }
    struct stat st{};
    if (fstat(_fd, &st) != 0 || st.st_size <= 0) {
        fail("fstat", std::strerror(errno));
        release();
        return _status;
    }
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pread(_fd, &bytes[done], bytes.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            fail("pread", n < 0 ? std::strerror(errno) : "fin de fichier prématurée");
            release();
            return _status;
        }
        done += static_cast<std::size_t>(n);
    }
    release();
    return bytes;
}

// ---- Sheet -------------------------------------------------------------------------------------------

void Sheet::check(lxw_error error, const char* what) { _book->check(error, what); }

#define PASSERELLE_SHEET_GUARD() \
    if (!_ws || !_book->ok()) return

void Sheet::measure(int firstRow, int firstCol, int lastRow, int lastCol, const std::string& value, lxw_format* format) {
    if (!_layout) return;
    _layout->touch(lastRow, lastCol);
    if (!format || value.empty()) return;
    const double size = format->font_size > 0 ? format->font_size : 11.0;
    double widthPt = 0;
    for (int c = firstCol; c <= lastCol; ++c) widthPt += columnWidthPt(_layout->columnWidth(c));
    const int lines = format->text_wrap ? estimateLines(value, widthPt, size, format->bold != 0) : 1;
    // One line fits the default row unless the font is large; several need the row to grow.
    double need = lines * lineHeightPt(size) + 3.0;
    if (lines == 1 && size <= 11) return;
    const int rows = lastRow - firstRow + 1;
    double have = 0;
    for (int r = firstRow; r <= lastRow; ++r) have += _layout->rowHeight(r);
    if (need <= have) return;
    // Spread what is missing over the rows of a vertical merge.
    const double extra = (need - have) / rows;
    for (int r = firstRow; r <= lastRow; ++r) _layout->rowHeights[r] = _layout->rowHeight(r) + extra;
}

void Sheet::text(int row, int col, const std::string& value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    if (value.empty()) {
        if (format) check(worksheet_write_blank(_ws, row, col, format), "worksheet_write_blank");
        measure(row, col, row, col, "", format);
        return;
    }
    measure(row, col, row, col, value, format);
    check(worksheet_write_string(_ws, row, col, value.c_str(), format), "worksheet_write_string");
}

void Sheet::number(int row, int col, double value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    measure(row, col, row, col, "", format);
    check(worksheet_write_number(_ws, row, col, value, format), "worksheet_write_number");
}

void Sheet::cents(int row, int col, money::Cents value, lxw_format* format) { number(row, col, euros(value), format); }

void Sheet::formula(int row, int col, const std::string& f, double cached, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    measure(row, col, row, col, "", format);
    check(worksheet_write_formula_num(_ws, row, col, f.c_str(), format, cached), "worksheet_write_formula_num");
}

void Sheet::formulaText(int row, int col, const std::string& f, const std::string& cached, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    measure(row, col, row, col, cached, format);
    check(worksheet_write_formula_str(_ws, row, col, f.c_str(), format, cached.c_str()), "worksheet_write_formula_str");
}

void Sheet::blank(int row, int col, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    measure(row, col, row, col, "", format);
    check(worksheet_write_blank(_ws, row, col, format), "worksheet_write_blank");
}

void Sheet::date(int row, int col, const Date& value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    lxw_datetime dt{value.year, value.month, value.day, 0, 0, 0.0};
    measure(row, col, row, col, "", format);
    check(worksheet_write_datetime(_ws, row, col, &dt, format), "worksheet_write_datetime");
}

void Sheet::mergeText(int firstRow, int firstCol, int lastRow, int lastCol, const std::string& value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    // worksheet_merge_range writes its text with worksheet_write_string.
    measure(firstRow, firstCol, lastRow, lastCol, value, format);
    check(worksheet_merge_range(_ws, firstRow, firstCol, lastRow, lastCol, value.c_str(), format), "worksheet_merge_range");
}

void Sheet::column(int firstCol, int lastCol, double width, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    check(worksheet_set_column(_ws, firstCol, lastCol, width, format), "worksheet_set_column");
    if (_layout) {
        if (static_cast<int>(_layout->columnWidths.size()) <= lastCol) _layout->columnWidths.resize(static_cast<std::size_t>(lastCol) + 1, 0.0);
        for (int c = firstCol; c <= lastCol; ++c) _layout->columnWidths[static_cast<std::size_t>(c)] = width;
    }
}

void Sheet::row(int r, double height, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    if (!_layout) return;
    // Applied at finish(), with the height wrapped cells need if it is taller.
    _layout->rowHeights[r] = std::max(height, _layout->rowHeights.count(r) ? _layout->rowHeights[r] : 0.0);
    if (format) _layout->rowFormats[r] = format;
}

void Sheet::keepTogether(int firstRow, int lastRow) {
    if (_layout && lastRow > firstRow) _layout->keeps.emplace_back(firstRow, lastRow);
}

void Sheet::repeatRows(int firstRow, int lastRow) {
    if (!_layout) return;
    _layout->repeatFirst = firstRow;
    _layout->repeatLast = lastRow;
}

void Sheet::printColumnsUpTo(int lastCol) {
    if (_layout) _layout->printLastCol = lastCol;
}

int Sheet::chartLastRow(int row, double yScale) const {
    double need = kChartHeightPx * yScale * 0.75, have = 0;
    int r = row;
    for (; have < need; ++r) have += _layout ? _layout->rowHeight(r) : LXW_DEF_ROW_HEIGHT;
    return r - 1;
}

void Sheet::printSetup(const std::string& headerLeft, const std::string& headerRight, const std::string& footerLeft, bool portrait) {
    PASSERELLE_SHEET_GUARD();
    if (portrait) worksheet_set_portrait(_ws);
    else worksheet_set_landscape(_ws);
    if (_layout) {
        _layout->landscape = !portrait;
        _layout->printed = true;
    }
    worksheet_set_paper(_ws, 9); // A4
    worksheet_set_margins(_ws, 0.5, 0.5, 0.75, 0.75);
    // Excel limits each header/footer to 255 characters including the codes; "&9" sets 9 pt.
    // The left part is cut so that it never runs into the right part.
    const double roomPt = printableWidthPt(!portrait) - 40.0;
    std::string right = headerText(headerRight, 60);
    std::string left = headerLeft;
    auto fits = [&](const std::string& l) { return l.size() <= 170 && estimateLines(l + "    " + right, roomPt, 9, false) == 1; };
    if (!fits(left)) {
        const std::string ellipsis = "\xE2\x80\xA6";
        while (!left.empty() && !fits(left + ellipsis)) {
            std::size_t cut = left.find_last_of(' ');
            left = cut == std::string::npos ? std::string() : left.substr(0, cut);
        }
        if (!left.empty()) left += ellipsis;
    }
    // "&9" sets 9 pt; a space keeps a leading digit of the text out of the size ("&9300…" would be 9300 pt).
    auto sized = [](const std::string& t) { return "&9" + std::string(!t.empty() && t[0] >= '0' && t[0] <= '9' ? " " : "") + t; };
    std::string header = "&L" + sized(headerText(left, 170)) + "&R" + sized(right);
    std::string footer = "&L" + sized(headerText(footerLeft, 170)) + "&R&9Page &P / &N";
    check(worksheet_set_header(_ws, header.c_str()), "worksheet_set_header");
    check(worksheet_set_footer(_ws, footer.c_str()), "worksheet_set_footer");
}

void Sheet::conditionalFormula(int firstRow, int firstCol, int lastRow, int lastCol, const std::string& f, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    lxw_conditional_format cf{};
    cf.type = LXW_CONDITIONAL_TYPE_FORMULA;
    std::string copy = f;
    cf.value_string = copy.data();
    cf.format = format;
    check(worksheet_conditional_format_range(_ws, firstRow, firstCol, lastRow, lastCol, &cf), "worksheet_conditional_format_range");
}

void Sheet::insertChart(int row, int col, lxw_chart* chart, double xScale, double yScale) {
    PASSERELLE_SHEET_GUARD();
    if (!chart) return;
    lxw_chart_options o{};
    o.x_scale = xScale;
    o.y_scale = yScale;
    if (_layout) {
        // The chart's extent, for the print area and the keeps: rows under it, columns across it.
        const int lastRow = chartLastRow(row, yScale);
        double need = kChartWidthPx * xScale * 0.75, have = 0;
        int c = col;
        for (; have < need; ++c) have += columnWidthPt(_layout->columnWidth(c));
        _layout->touch(lastRow, c - 1);
        _layout->keeps.emplace_back(row, lastRow);
    }
    check(worksheet_insert_chart_opt(_ws, row, col, chart, &o), "worksheet_insert_chart");
}

#undef PASSERELLE_SHEET_GUARD

// ---- Styles -------------------------------------------------------------------------------------------

Styles makeStyles(MemoryWorkbook& book) {
    Styles s;
    auto make = [&](auto&& configure) {
        lxw_format* f = book.addFormat();
        if (f) {
            format_set_font_name(f, "Arial");
            format_set_font_size(f, 10);
            configure(f);
        }
        return f;
    };
    auto bordered = [](lxw_format* f) {
        format_set_border(f, LXW_BORDER_THIN);
        format_set_border_color(f, 0x808080);
        format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
    };
    const lxw_color_t kBand = 0xD9E1F2, kTotal = 0xF2F2F2;
    s.title = make([](lxw_format* f) { format_set_bold(f); format_set_font_size(f, 14); });
    s.label = make([](lxw_format* f) { format_set_bold(f); format_set_align(f, LXW_ALIGN_VERTICAL_TOP); });
    s.value = make([](lxw_format* f) { format_set_text_wrap(f); format_set_align(f, LXW_ALIGN_VERTICAL_TOP); });
    s.header = make([&](lxw_format* f) {
        bordered(f); format_set_bold(f); format_set_bg_color(f, kBand); format_set_text_wrap(f); format_set_align(f, LXW_ALIGN_CENTER);
    });
    s.section = make([&](lxw_format* f) { format_set_bold(f); format_set_font_size(f, 12); format_set_bg_color(f, kBand); });
    s.cell = make([&](lxw_format* f) { bordered(f); format_set_text_wrap(f); });
    s.euro = make([&](lxw_format* f) { bordered(f); format_set_num_format(f, kEuroFormat); });
    s.euroPlain = make([&](lxw_format* f) { format_set_num_format(f, kEuroFormat); format_set_align(f, LXW_ALIGN_LEFT); });
    s.euroTotal = make([&](lxw_format* f) { bordered(f); format_set_bold(f); format_set_bg_color(f, kTotal); format_set_num_format(f, kEuroFormat); });
    s.integer = make([&](lxw_format* f) { bordered(f); format_set_num_format(f, kIntegerFormat); });
    s.integerTotal = make([&](lxw_format* f) { bordered(f); format_set_bold(f); format_set_bg_color(f, kTotal); format_set_num_format(f, kIntegerFormat); });
    s.percent = make([&](lxw_format* f) { bordered(f); format_set_num_format(f, kPercentFormat); });
    s.percentTotal = make([&](lxw_format* f) { bordered(f); format_set_bold(f); format_set_bg_color(f, kTotal); format_set_num_format(f, kPercentFormat); });
    s.totalLabel = make([&](lxw_format* f) { bordered(f); format_set_bold(f); format_set_bg_color(f, kTotal); format_set_text_wrap(f); });
    s.check = make([&](lxw_format* f) { bordered(f); format_set_bold(f); format_set_text_wrap(f); });
    s.ko = make([](lxw_format* f) { format_set_bold(f); format_set_font_color(f, LXW_COLOR_WHITE); format_set_bg_color(f, 0xC00000); });
    s.ok = make([](lxw_format* f) { format_set_font_color(f, 0x006100); format_set_bg_color(f, 0xC6EFCE); });
    s.date = make([](lxw_format* f) { format_set_num_format(f, "dd/mm/yyyy"); format_set_align(f, LXW_ALIGN_LEFT); });
    s.muted = make([](lxw_format* f) { format_set_italic(f); format_set_font_color(f, 0x595959); format_set_text_wrap(f); });
    return s;
}

// ---- References -------------------------------------------------------------------------------------

std::string cellRef(int row, int col, bool absRow, bool absCol) {
    std::string letters;
    for (int c = col + 1; c > 0; c = (c - 1) / 26) letters.insert(letters.begin(), static_cast<char>('A' + (c - 1) % 26));
    return (absCol ? "$" : "") + letters + (absRow ? "$" : "") + std::to_string(row + 1);
}

std::string rangeRef(int firstRow, int firstCol, int lastRow, int lastCol, bool absolute) {
    return cellRef(firstRow, firstCol, absolute, absolute) + ":" + cellRef(lastRow, lastCol, absolute, absolute);
}

std::string sheetRef(const std::string& name) {
    std::string out = "'";
    for (char c : name) {
        out.push_back(c);
        if (c == '\'') out.push_back('\'');
    }
    return out + "'!";
}

std::string headerText(const std::string& s, std::size_t maxBytes) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = text::sequenceLength(static_cast<unsigned char>(s[i]));
        if (n == 0 || i + n > s.size()) break;
        std::string piece = s.substr(i, n);
        if (piece == "&") {
            piece = "&&"; // '&' starts a header code (&P, &D…): escape it
            // libxlsxwriter 1.1.4 still finds "&[Picture]" / "&G" inside "&&[Picture]" and then frees the
            // header twice (found by fuzz/fuzz_render): a word joiner (U+2060) keeps them apart.
            if (i + 1 < s.size() && (s[i + 1] == '[' || s[i + 1] == 'G' || s[i + 1] == 'g')) piece += "\xE2\x81\xA0";
        }
        if (piece == "\n" || piece == "\r" || piece == "\t") piece = " ";
        if (out.size() + piece.size() > maxBytes) {
            out += "\xE2\x80\xA6"; // …
            break;
        }
        out += piece;
        i += n;
    }
    return out;
}

} // namespace passerelle::xlsx
