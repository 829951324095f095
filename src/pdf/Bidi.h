#pragma once
// Right-to-left text for a PDF drawn through character maps only (libharu): GNU FriBidi puts a
// line in visual order (Unicode bidirectional algorithm, one line at a time, after wrapping) and
// shapes Arabic into its presentation forms (initial, medial, final, isolated; lam-alef
// ligatures), which a font such as Noto Sans Arabic draws through its cmap.
//
// Pure functions; thread-safe.
#include <string>
#include <string_view>

namespace passerelle::pdf::bidi {

// Arabic script (letters, marks, digits, punctuation, presentation forms): drawn with the
// Arabic face.
bool isArabic(char32_t cp);
// True when `utf8` holds a right-to-left character (Hebrew, Arabic, Syriac, Thaana, N'Ko…):
// the line needs reordering. A quick byte scan: false for all Windows-1252 text.
bool hasRightToLeft(std::string_view utf8);

struct VisualLine {
    std::u32string text; // left to right as drawn, Arabic shaped
    bool rightToLeft = false; // the line holds right-to-left text and no left-to-right letter
};
// One line (no line break inside), logical order in, visual order out.
VisualLine toVisual(std::string_view utf8);

} // namespace passerelle::pdf::bidi
