#pragma once
// Layout: measure and paginate a list of blocks into pages of positioned
// items. No drawing happens here: backends (pdf/) draw a laid-out Document.
// Coordinates are in PDF points, origin at the page's top-left corner, y
// growing downwards; a text item's y is its baseline.
//
// Guarantee: every character of every block is placed on some page. Long
// text wraps by measured width and continues on the next page; table rows
// that do not fit move to the next page with the header row repeated, and a
// row taller than a whole page is split line by line.
//
// Pagination rules (each a tested property, tests/layout/PaginationPropertiesTest.cpp):
//  - no orphan heading: a heading (any level) stays on the page of at least the
//    first two lines of what follows it, or of the first table row;
//  - no widow, no orphan: a paragraph split over pages leaves at least two of
//    its lines on each page;
//  - a signature block is one unit with its « Fait à … , le … » mention and its
//    heading, and never stands alone on a page: the end of the preceding
//    paragraph moves along with it;
//  - a short trailing page is avoided when compressing the vertical spacing
//    (never the lines) down to PageSetup::minSpacingScale fits it on the previous page.
// These rules yield when they cannot hold (a chain of kept-together lines
// taller than a page is broken where it must be).
//
// Typography: wrap() never breaks between « and the word after it, between a
// word and the » after it, nor before ; : ! ? (French no-break rules), for
// template text and user text alike.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace passerelle::layout {

enum class Font : std::uint8_t { Regular, Bold };

// Text measurement, implemented by each backend (pdf/ uses libharu's exact widths).
class FontMetrics {
public:
    virtual ~FontMetrics() = default;
    virtual double width(std::string_view utf8, Font font, double sizePt) const = 0;
};

// Every code point is `advance` × size wide: for tests.
class FixedWidthMetrics : public FontMetrics {
public:
    explicit FixedWidthMetrics(double advance = 0.5) : _advance(advance) {}
    double width(std::string_view utf8, Font font, double sizePt) const override;

private:
    double _advance;
};

// ---- Blocks: what the composer asks for -------------------------------------------------------
struct TitleBlock { std::string title; std::string subtitle; };
struct HeadingBlock { std::string text; int level = 1; };
struct PairsBlock { std::vector<std::pair<std::string, std::string>> rows; };
struct ParagraphBlock { std::string label; std::string text; bool muted = false; };
enum class Align { Left, Right };
struct Column { std::string title; double weight = 1.0; Align align = Align::Left; };
struct TableBlock {
    std::string caption;
    std::vector<Column> columns;
    std::vector<std::vector<std::string>> rows;
    std::string emptyText = "Aucune ligne.";
};
struct CheckboxItem { std::string label; bool checked = false; };
struct CheckboxBlock { std::string label; std::vector<CheckboxItem> items; };
struct SignatureParty { std::string title; std::string name; std::vector<std::string> lines; };
// `mention` (e.g. « Fait à Rennes, le 12/03/2026 ») is printed above the boxes, on the same page.
struct SignatureBlock { std::vector<SignatureParty> parties; std::string mention; };
// A bar chart (e.g. households by age band, one series per target group), placed whole on one page
// under its caption; laid out as filled boxes, lines and text (layout/Chart.h).
struct ChartSeries { std::string name; std::vector<double> values; }; // one value per category
struct ChartBlock {
    std::string caption;
    std::vector<std::string> categories;
    std::vector<ChartSeries> series;
    bool stacked = true;       // one bar per category, series stacked; otherwise side by side
    std::string categoryTitle; // under the category labels
    std::string valueTitle;    // above the value axis
};
struct SpacerBlock { double height = 6; };
struct PageBreakBlock {};
using Block = std::variant<TitleBlock, HeadingBlock, PairsBlock, ParagraphBlock, TableBlock, CheckboxBlock,
                           SignatureBlock, SpacerBlock, PageBreakBlock, ChartBlock>;

// ---- Result: what backends draw ----------------------------------------------------------------
struct Item {
    enum class Kind : std::uint8_t { Text, Line, Box, FilledBox };
    // What the item is part of, for checks on laid-out pages (backends ignore it).
    enum class Role : std::uint8_t { Other, Title, Heading, Line, ParagraphLine, Caption, TableHeader, TableRow, Signature,
                                     SignatureMention, Running };
    // (Fields ordered by size: a 7 500-row table holds 60 000 items at once, 104 bytes each.)
    double x = 0, y = 0, w = 0, h = 0; // Line: from (x,y) to (x+w, y+h)
    double size = 10;
    double gray = 0; // 0 = black, 1 = white (text and strokes); fill gray for FilledBox
    double boxWidth = 0; // Text: width of the box the line was wrapped in, from x (0: none); a
                         // backend right-aligns a right-to-left line (an Arabic-script name) in it
    std::string text;                  // UTF-8
    int rgb = -1;    // FilledBox: fill colour 0xRRGGBB when >= 0 (backends without colour use `gray`)
    int block = -1; // index of the block in paginate()'s input; -1 for running header and footer
    int line = -1;  // index of the line (or table row) within its block
    Kind kind = Kind::Text;
    Font font = Font::Regular;
    Role role = Role::Other;
    // Box of one signature party (SignatureBlock), in document order: the
    // signing engine (src/sign) draws each signature image in it.
    bool signatureBox = false;
};
struct Page { std::vector<Item> items; };
struct Document {
    std::vector<Page> pages;
    double spacingScale = 1.0; // the vertical spacing factor pagination settled on (1 = no compression)
};

struct PageSetup {
    double width = 595.276;  // A4 portrait
    double height = 841.890;
    double marginLeft = 56.7, marginRight = 56.7; // 2 cm
    double marginTop = 62.0, marginBottom = 62.0;
    double bodySize = 10.0;
    double lineFactor = 1.3;  // line height = size × factor
    std::string headerLeft;   // running header, left
    std::string headerRight;  // running header, right
    std::string footer;       // "{page}" and "{pages}" are replaced
    // A last page filled less than `shortPageFraction` of its height is avoided by compressing the
    // spacing between blocks down to `minSpacingScale` of its height when that fits it on the page before.
    double minSpacingScale = 0.5;
    double spacingScale = 1.0; // the factor of the vertical spacing tried first

    double shortPageFraction = 0.34;
};

// Wraps text to `width`; '\n' forces a break; a word wider than the line breaks
// between code points. Never drops a character (spaces at breaks excepted).
std::vector<std::string> wrap(std::string_view text, double width, Font font, double sizePt, const FontMetrics& metrics);

Document paginate(const std::vector<Block>& blocks, const PageSetup& setup, const FontMetrics& metrics);

// Receives pages as they are laid out, so that a backend draws each page and forgets its items
// (a document of hundreds of pages never holds all of them). body() gets the pages in order, once
// the place of every unit is decided; running() gets each page's running header and footer (they
// need the page count) right after that page's body: the page is then complete.
class PageSink {
public:
    virtual ~PageSink() = default;
    virtual void body(std::size_t index, Page&& page) = 0;
    virtual void running(std::size_t index, Page&& page) = 0;
};
// The same layout as paginate(), handed over page by page; returns the number of pages.
std::size_t paginate(const std::vector<Block>& blocks, const PageSetup& setup, const FontMetrics& metrics, PageSink& sink);

// Every text string the blocks and page setup hold (for font selection).
std::vector<std::string_view> allText(const std::vector<Block>& blocks, const PageSetup& setup);

} // namespace passerelle::layout
