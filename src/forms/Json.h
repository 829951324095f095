#pragma once
// A strict JSON reader (RFC 8259) that says where the text is wrong.
//
// Poco's parser reports no position, resolves duplicate keys to the last value
// and calls invalid UTF-8 an "unterminated string literal". This reader builds
// the same Poco values (Object::Ptr, Array::Ptr, std::string, Int64, double,
// bool, empty Var for null) and refuses, with a French message giving the line,
// the column (in characters) and the byte offset:
//   - any syntax error, trailing text, nesting deeper than `maxDepth`;
//   - a key given twice in one object (the message names the object's JSON pointer);
//   - bytes that are not UTF-8 (overlong forms, encoded surrogates, > U+10FFFF),
//     raw control characters in strings, and \u escapes that leave a lone surrogate;
//   - more than `maxValues` values (building each costs microseconds: 650 000 empty
//     rows in 2 MB would take seconds before any check could refuse them);
//   - numbers outside what a double holds (1e999, and 1e-400, which would read as 0).
// A UTF-8 byte order mark at the very start is skipped (editors on Windows add one).
// Integers that do not fit in 64 signed bits are read as doubles (their
// magnitude is kept), so a validator refuses them as out of bounds rather than
// wrapping them. "-0" is read as the double -0.0, so no integer or amount field
// takes it for 0.
// Pure and stateless; safe to call from any thread.
#include <cstddef>
#include <string>

#include <Poco/Dynamic/Var.h>

#include "common/Status.h"

namespace passerelle::forms {

struct JsonLimits {
    std::size_t maxDepth = 64;       // objects and arrays nested
    std::size_t maxValues = 100000;  // values of any kind in the whole text (the largest form holds a few thousand)
};

// InvalidArgument "json_invalid" with a French message and one detail whose
// path is the JSON pointer of the place reached and whose rule names the fault
// (syntax, duplicate_key, utf8, surrogate, number_range, depth, bom...).
Result<Poco::Dynamic::Var> parseJson(const std::string& text, const JsonLimits& limits = {});

} // namespace passerelle::forms
