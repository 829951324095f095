#pragma once
// Europe/Paris civil time without a time-zone database: UTC+1, and UTC+2 from
// the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC
// (EU rule, in force since 1996). Pure; thread-safe.
#include <cstdint>
#include <string>

namespace passerelle::sign {

struct ParisTime {
    std::string iso;    // "2026-12-01T21:30:05+01:00"
    std::string french; // "01/12/2026 à 21:30"
};

ParisTime parisTime(std::int64_t epochSeconds);
// "2026-12-01T20:30:05Z"
std::string utcIso(std::int64_t epochSeconds);
// Parses "2026-12-01T20:30:05[.123]Z"; 0 when malformed.
std::int64_t parseUtcIso(const std::string& iso);

} // namespace passerelle::sign
