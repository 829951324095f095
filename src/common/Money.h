#pragma once
// Amounts in euros are exact: int64 cents everywhere, never floating point.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passerelle::money {

using Cents = std::int64_t;

// Parses "1234", "1234.5", "1234.56", "1 234,56", "-12,30" (a comma or a dot
// as decimal separator, spaces / NBSP / narrow NBSP as thousands separators,
// an optional trailing "€"). At most two decimals. Returns nothing when the
// text is not an amount or is out of range (|x| > 10^13 €).
std::optional<Cents> parse(std::string_view text);

// From a JSON number: accepted only when it has at most two decimals.
std::optional<Cents> fromDouble(double value);

// French format: "1 234,56 €" with U+00A0 between groups and before "€".
std::string format(Cents cents, bool withSymbol = true);

} // namespace passerelle::money
