#pragma once
// UTF-8 helpers shared by validation, layout and the PDF backend.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::text {

bool isValidUtf8(std::string_view s);
// Decodes valid UTF-8 into code points (REQUIRES: isValidUtf8(s)).
std::vector<char32_t> decode(std::string_view s);
std::string encode(char32_t cp);
// Number of code points.
std::size_t length(std::string_view s);
// Byte length of the UTF-8 sequence starting with lead byte `c`.
std::size_t sequenceLength(unsigned char c);

// Windows-1252 byte for a code point, if any (U+202F and U+2009 map to NBSP/space).
std::optional<unsigned char> toCp1252(char32_t cp);
// True when every character of `s` exists in Windows-1252.
bool fitsCp1252(std::string_view s);
// Converts to Windows-1252 (REQUIRES: fitsCp1252(s)).
std::string utf8ToCp1252(std::string_view s);
// The same into `out` (room for s.size() bytes; Windows-1252 is never longer than UTF-8);
// returns the number of bytes written. No allocation.
std::size_t toCp1252(std::string_view s, char* out);

// Trims ASCII blanks at both ends.
std::string trim(std::string_view s);

// French elision before a name or word: true when `word` starts with a vowel (accented or not)
// or an h ("d’Agnès", "d’Habitat 76", "qu’Émile"), so "de"/"que" become "d’"/"qu’".
bool elides(std::string_view word);
// "de X" or "d’X" (capitalised: "De X" / "D’X").
std::string ofName(std::string_view name, bool capitalised = false);

} // namespace passerelle::text
