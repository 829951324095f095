#include "xlsx/MemoryWorkbook.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

namespace passerelle::xlsx {

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
    if (!ws) fail("workbook_add_worksheet", name);
    return Sheet(this, ws);
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

void Sheet::text(int row, int col, const std::string& value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    if (value.empty()) {
        if (format) check(worksheet_write_blank(_ws, row, col, format), "worksheet_write_blank");
        return;
    }
    check(worksheet_write_string(_ws, row, col, value.c_str(), format), "worksheet_write_string");
}

void Sheet::number(int row, int col, double value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    check(worksheet_write_number(_ws, row, col, value, format), "worksheet_write_number");
}

void Sheet::cents(int row, int col, money::Cents value, lxw_format* format) { number(row, col, euros(value), format); }

void Sheet::formula(int row, int col, const std::string& f, double cached, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    check(worksheet_write_formula_num(_ws, row, col, f.c_str(), format, cached), "worksheet_write_formula_num");
}

void Sheet::formulaText(int row, int col, const std::string& f, const std::string& cached, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    check(worksheet_write_formula_str(_ws, row, col, f.c_str(), format, cached.c_str()), "worksheet_write_formula_str");
}

void Sheet::blank(int row, int col, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    check(worksheet_write_blank(_ws, row, col, format), "worksheet_write_blank");
}

void Sheet::date(int row, int col, const Date& value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    lxw_datetime dt{value.year, value.month, value.day, 0, 0, 0.0};
    check(worksheet_write_datetime(_ws, row, col, &dt, format), "worksheet_write_datetime");
}

void Sheet::mergeText(int firstRow, int firstCol, int lastRow, int lastCol, const std::string& value, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    // worksheet_merge_range writes its text with worksheet_write_string.
    check(worksheet_merge_range(_ws, firstRow, firstCol, lastRow, lastCol, value.c_str(), format), "worksheet_merge_range");
}

void Sheet::column(int firstCol, int lastCol, double width, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    check(worksheet_set_column(_ws, firstCol, lastCol, width, format), "worksheet_set_column");
}

void Sheet::row(int r, double height, lxw_format* format) {
    PASSERELLE_SHEET_GUARD();
    check(worksheet_set_row(_ws, r, height, format), "worksheet_set_row");
}

void Sheet::printSetup(const std::string& headerLeft, const std::string& headerRight, const std::string& footerLeft) {
    PASSERELLE_SHEET_GUARD();
    worksheet_set_landscape(_ws);
    worksheet_set_paper(_ws, 9); // A4
    worksheet_fit_to_pages(_ws, 1, 0); // one page wide, as many pages tall as needed
    worksheet_set_margins(_ws, 0.5, 0.5, 0.75, 0.75);
    // Excel limits each header/footer to 255 characters including the &L/&R codes.
    std::string header = "&L" + headerText(headerLeft, 170) + "&R" + headerText(headerRight, 60);
    std::string footer = "&L" + headerText(footerLeft, 170) + "&RPage &P / &N";
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
