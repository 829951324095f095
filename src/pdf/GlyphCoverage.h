#pragma once
// Which characters the PDF backend can draw. Text that fits Windows-1252 is drawn with
// base-14 Helvetica; Arabic script with the embedded Noto Sans Arabic (shaped, see Bidi.h);
// anything else with the embedded Liberation Sans. Neither has a glyph for emoji, Hebrew,
// CJK, control characters… libharu would draw its empty .notdef glyph
// for those: the character would vanish from the document without a word. Callers check
// values first and refuse them with the field's path (see RenderService).
//
// Thread-safe: the fonts' character maps are read once per directory and kept.
#include <optional>
#include <string>
#include <string_view>

namespace passerelle::pdf {

// The first code point of `utf8` (valid UTF-8) that neither Helvetica/WinAnsi nor both
// weights of Liberation Sans in `fontsDir` (both weights of Noto Sans Arabic, in every
// joining form, for Arabic script) can draw; nothing when every one can. Code
// points above U+FFFF are never drawable (libharu's UTF-8 encoder is 16-bit).
// When the fonts cannot be read, only Windows-1252 counts as drawable.
std::optional<char32_t> firstUndrawable(std::string_view utf8, const std::string& fontsDir);

} // namespace passerelle::pdf
