#include "pdf/Bidi.h"

#include <fribidi.h>

#include <vector>

#include "common/Text.h"

namespace passerelle::pdf::bidi {

bool isArabic(char32_t cp) {
    return (cp >= 0x0600 && cp <= 0x06FF) || (cp >= 0x0750 && cp <= 0x077F) || (cp >= 0x08A0 && cp <= 0x08FF) ||
           (cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF);
}

bool hasRightToLeft(std::string_view s) {
    // U+0590..U+08FF are two-byte sequences led by 0xD6..0xE0 A0-A3; presentation forms
    // U+FB1D..U+FEFF are led by 0xEF 0xAC..0xBB. Scan lead bytes, decode only candidates.
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0xD6) continue;
        std::size_t n = text::sequenceLength(c);
        if (i + n > s.size()) return false;
        char32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        if ((cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF)) return true;
        i += n - 1;
    }
    return false;
}

VisualLine toVisual(std::string_view utf8) {
    const std::vector<char32_t> logical = text::decode(utf8);
    VisualLine out;
    if (logical.empty()) return out;
    std::vector<FriBidiChar> in(logical.begin(), logical.end());
    std::vector<FriBidiChar> visual(in.size() + 1, 0);
    FriBidiParType base = FRIBIDI_PAR_ON; // direction from the first strong character
    // log2vis applies the default flags plus Arabic shaping (presentation forms and ligatures).
    // A ligature leaves its second character as U+FEFF (FriBidi's fill character): dropped below.
    fribidi_boolean ok = fribidi_log2vis(in.data(), static_cast<FriBidiStrIndex>(in.size()), &base, visual.data(),
                                         nullptr, nullptr, nullptr);
    if (!ok) {
        out.text.assign(logical.begin(), logical.end());
        return out;
    }
    bool rtl = false, ltr = false;
    for (char32_t cp : logical) {
        FriBidiCharType t = fribidi_get_bidi_type(cp);
        if (t == FRIBIDI_TYPE_RTL || t == FRIBIDI_TYPE_AL) rtl = true;
        else if (t == FRIBIDI_TYPE_LTR) ltr = true;
    }
    out.rightToLeft = rtl && !ltr;
    out.text.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char32_t cp = visual[i];
        if (cp == 0xFEFF || cp == 0) continue; // removed by a ligature
        out.text.push_back(cp);
    }
    return out;
}

} // namespace passerelle::pdf::bidi
