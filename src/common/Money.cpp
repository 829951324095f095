#include "common/Money.h"

#include <cmath>

namespace passerelle::money {

namespace {
constexpr Cents kMaxCents = 1000000000000000LL; // 10^13 euros
const char* const kNbsp = "\xC2\xA0";
} // namespace

std::optional<Cents> parse(std::string_view text) {
    // Pass 1: strip blanks, thousands separators and the euro sign.
    std::string s;
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == ' ' || c == '\t') continue;
        if (text.compare(i, 2, "\xC2\xA0") == 0) { ++i; continue; }
        if (text.compare(i, 3, "\xE2\x80\xAF") == 0) { i += 2; continue; }
        if (text.compare(i, 3, "\xE2\x82\xAC") == 0) { i += 2; continue; }
        s.push_back(static_cast<char>(c));
    }
    if (s.empty()) return std::nullopt;
    // Pass 2: sign, integer digits, optional separator and up to 2 decimals.
    bool negative = false;
    std::size_t i = 0;
    if (s[0] == '-' || s[0] == '+') { negative = s[0] == '-'; i = 1; }
    Cents units = 0;
    std::size_t digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
        units = units * 10 + (s[i] - '0');
        if (units > kMaxCents / 100) return std::nullopt;
    }
    if (digits == 0) return std::nullopt;
    Cents cents = 0;
    if (i < s.size()) {
        if (s[i] != ',' && s[i] != '.') return std::nullopt;
        ++i;
        std::size_t decimals = 0;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++decimals) {
            if (decimals >= 2) return std::nullopt;
            cents = cents * 10 + (s[i] - '0');
        }
        if (decimals == 0 || i != s.size()) return std::nullopt;
        if (decimals == 1) cents *= 10;
    }
    Cents total = units * 100 + cents;
    return negative ? -total : total;
}

std::optional<Cents> fromDouble(double value) {
    if (!std::isfinite(value) || std::fabs(value) > static_cast<double>(kMaxCents / 100)) return std::nullopt;
    double scaled = value * 100.0;
    double rounded = std::round(scaled);
    // A JSON number such as 12.345 has a third decimal: refuse it rather than round.
    if (std::fabs(scaled - rounded) > 1e-6 * std::max(1.0, std::fabs(scaled))) return std::nullopt;
    return static_cast<Cents>(rounded);
}

std::string format(Cents cents, bool withSymbol) {
    bool negative = cents < 0;
    unsigned long long abs = negative ? static_cast<unsigned long long>(-(cents + 1)) + 1ULL
                                      : static_cast<unsigned long long>(cents);
    std::string units = std::to_string(abs / 100);
    std::string grouped;
    int n = static_cast<int>(units.size());
    for (int k = 0; k < n; ++k) {
        if (k > 0 && (n - k) % 3 == 0) grouped += kNbsp;
        grouped.push_back(units[k]);
    }
    unsigned rest = static_cast<unsigned>(abs % 100);
    std::string out = negative ? "-" : "";
    out += grouped;
    out += ',';
    out.push_back(static_cast<char>('0' + rest / 10));
    out.push_back(static_cast<char>('0' + rest % 10));
    if (withSymbol) { out += kNbsp; out += "\xE2\x82\xAC"; }
    return out;
}

} // namespace passerelle::money
