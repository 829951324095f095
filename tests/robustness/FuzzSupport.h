#pragma once
// Deterministic input mutation for the robustness suites: examples/*.json are parsed, a few
// slots (object members, array elements) are replaced by hostile raw JSON text, and the result
// is returned as the bytes a client would send. Same seed, same bytes, on every machine
// (splitmix64, no <random> distributions whose output is implementation-defined).
#include <cstdint>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "support/TestSupport.h" // exampleFiles()

namespace passerelle::testing {

class Prng {
public:
    explicit Prng(std::uint64_t seed) : _state(seed) {}
    std::uint64_t next();
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
    bool chance(unsigned percent) { return below(100) < percent; }

private:
    std::uint64_t _state;
};

struct Mutant {
    std::string json;                 // the bytes to send
    std::vector<std::string> applied; // human-readable mutations, for failure messages
};
// 1 to 3 mutations of `original` (an example file's text).
Mutant mutate(const std::string& original, Prng& rng);

// RFC 6901 syntax: "" or "/" segments, '~' only as "~0" or "~1", valid UTF-8.
bool isJsonPointer(const std::string& p);
// Whether the pointer resolves in `root`; `parentIsObject` tells whether all but the last segment do,
// to an object (a missing required field is named there).
bool resolvesIn(const Poco::JSON::Object::Ptr& root, const std::string& pointer, bool* parentIsObject);

} // namespace passerelle::testing
