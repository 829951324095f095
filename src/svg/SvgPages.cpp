#include "svg/SvgPages.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/Text.h"

namespace passerelle::svg {

namespace {

const char* const LATIN_FONTS = "Helvetica, Arial, 'Liberation Sans', sans-serif";
const char* const ARABIC_FONTS = "'Noto Sans Arabic', 'Noto Naskh Arabic', sans-serif";
const double STROKE_WIDTH_PT = 0.5; // as the PDF backend's HPDF_Page_SetLineWidth

// A coordinate with at most two decimals, '.' as separator whatever the locale ("56.7", "-3", "0.05").
std::string num(double v) {
    if (!std::isfinite(v)) return "0";
    long long hundredths = std::llround(v * 100.0);
    std::string out;
    if (hundredths < 0) {
        out += '-';
        hundredths = -hundredths;
    }
    out += std::to_string(hundredths / 100);
    const int frac = static_cast<int>(hundredths % 100);
    if (frac != 0) {
        out += '.';
        out += static_cast<char>('0' + frac / 10);
        if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
    }
    return out;
}

std::string hexColour(int r, int g, int b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r & 0xFF, g & 0xFF, b & 0xFF);
    return buf;
}

// The layout's gray (0 black, 1 white) as the PDF's DeviceGray shows it.
std::string grayColour(double gray) {
    const int v = static_cast<int>(std::lround(std::clamp(gray, 0.0, 1.0) * 255.0));
    return hexColour(v, v, v);
}

std::string fillOf(const layout::Item& it) {
    if (it.rgb >= 0) return hexColour(it.rgb >> 16, it.rgb >> 8, it.rgb);
    return grayColour(it.gray);
}

// A box as the PDF draws it: a negative width or height extends the other way.
void rectAttributes(std::string& out, const layout::Item& it) {
    const double x = it.w < 0 ? it.x + it.w : it.x, y = it.h < 0 ? it.y + it.h : it.y;
    out += "x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(std::fabs(it.w)) + "\" height=\"" + num(std::fabs(it.h)) + "\"";
}

std::string drawPage(const pdf::PlacedPage& placed, std::size_t index, std::size_t count, double widthPt, double heightPt,
                     const SvgOptions& options) {
    const auto& items = placed.page.items;
    std::string out;
    out.reserve(4096 + items.size() * 160);
    const std::string w = num(widthPt), h = num(heightPt);
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w +
           " " + h + "\" font-family=\"" + LATIN_FONTS + "\" xml:space=\"preserve\" text-rendering=\"geometricPrecision\">\n";
    std::string title = options.title.empty() ? std::string() : options.title + " \u2014 ";
    title += "page " + std::to_string(index + 1) + " sur " + std::to_string(count);
    out += "<title>" + escapeXml(title) + "</title>\n";
    out += "<rect x=\"0\" y=\"0\" width=\"" + w + "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n";

    // Pass 1, as the PDF: filled boxes (table header shading, chart bars) under everything.
    for (const auto& it : items) {
        if (it.kind != layout::Item::Kind::FilledBox) continue;
        out += "<rect ";
        rectAttributes(out, it);
        out += " fill=\"" + fillOf(it) + "\"/>\n";
    }
    // Pass 2: rules and box outlines, 0.5 pt.
    for (const auto& it : items) {
        if (it.kind == layout::Item::Kind::Line) {
            out += "<line x1=\"" + num(it.x) + "\" y1=\"" + num(it.y) + "\" x2=\"" + num(it.x + it.w) + "\" y2=\"" + num(it.y + it.h) +
                   "\" stroke=\"" + grayColour(it.gray) + "\" stroke-width=\"" + num(STROKE_WIDTH_PT) + "\"/>\n";
        } else if (it.kind == layout::Item::Kind::Box) {
            out += "<rect ";
            rectAttributes(out, it);
            out += " fill=\"none\" stroke=\"" + grayColour(it.gray) + "\" stroke-width=\"" + num(STROKE_WIDTH_PT) + "\"/>\n";
        }
    }
    // Pass 3: text, run by run where the PDF draws it, stretched to the PDF font's width.
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& it = items[i];
        if (it.kind != layout::Item::Kind::Text || i >= placed.runs.size()) continue;
        for (const auto& run : placed.runs[i]) {
            if (run.text.empty()) continue;
            out += "<text x=\"" + num(run.x) + "\" y=\"" + num(it.y) + "\" font-size=\"" + num(it.size) + "\"";
            if (it.font == layout::Font::Bold) out += " font-weight=\"bold\"";
            if (it.gray > 0) out += " fill=\"" + grayColour(it.gray) + "\"";
            if (run.arabic)
                out += std::string(" font-family=\"") + ARABIC_FONTS + "\" direction=\"ltr\" unicode-bidi=\"bidi-override\"";
            if (run.width > 0) out += " textLength=\"" + num(run.width) + "\" lengthAdjust=\"spacingAndGlyphs\"";
            out += ">" + escapeXml(run.text) + "</text>\n";
        }
    }
    out += "</svg>\n";
    return out;
}

} // namespace

std::string escapeXml(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 16);
    const std::string replacement = "\xEF\xBF\xBD"; // U+FFFD
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:
                if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') out += replacement;
                else if (c == 0x7F) out += replacement;
                else out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        // A strict UTF-8 sequence: right length, continuation bytes, no overlong form, no surrogate.
        const std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 0) : c >= 0xC2 ? 2 : 0;
        bool valid = n != 0 && i + n <= s.size();
        char32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; valid && k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) valid = false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (valid && ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)))
            valid = false;
        if (!valid) {
            out += replacement;
            ++i;
            continue;
        }
        if (cp == 0xFFFE || cp == 0xFFFF || (cp >= 0x80 && cp < 0x9F + 1)) out += replacement; // C1 controls too
        else out.append(s.substr(i, n));
        i += n;
    }
    return out;
}

std::vector<std::string> drawPages(const std::vector<pdf::PlacedPage>& pages, double widthPt, double heightPt,
                                   const SvgOptions& options) {
    std::vector<std::string> out;
    out.reserve(pages.size());
    for (std::size_t i = 0; i < pages.size(); ++i) out.push_back(drawPage(pages[i], i, pages.size(), widthPt, heightPt, options));
    return out;
}

Result<std::vector<std::string>> render(const std::vector<layout::Block>& blocks, const layout::PageSetup& setup,
                                        const pdf::PdfOptions& pdfOptions, const SvgOptions& options) {
    auto placed = pdf::place(blocks, setup, pdfOptions);
    if (!placed.isOk()) return placed.status();
    return drawPages(placed.value(), setup.width, setup.height, options);
}

} // namespace passerelle::svg
