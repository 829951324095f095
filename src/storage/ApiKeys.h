#pragma once
// API key secrets: generation and hashing. A key is "psl_" followed by 64 hex
// digits (32 random bytes from the system's random source). Only its SHA-256
// (hex) and a short prefix for display are ever stored; the secret is shown
// once, at creation. Stateless; safe from any thread.
#include <string>

namespace passerelle::storage {

inline constexpr const char* API_KEY_SCHEME = "psl_";
inline constexpr std::size_t API_KEY_RANDOM_BYTES = 32;
inline constexpr std::size_t API_KEY_PREFIX_CHARS = 12; // "psl_" + 8 hex digits

struct GeneratedKey {
    std::string secret; // give to the person, once
    std::string prefix; // for display and revocation
    std::string hash;   // what the store keeps
};

GeneratedKey generateApiKey();
// SHA-256 of the secret, lower-case hex.
std::string hashApiKey(const std::string& secret);
// True when `text` has the shape of a key (scheme + 64 lower-case hex digits).
bool looksLikeApiKey(const std::string& text);
// SHA-256 of arbitrary bytes, lower-case hex (artefact checksums).
std::string sha256Hex(const std::string& bytes);

} // namespace passerelle::storage
