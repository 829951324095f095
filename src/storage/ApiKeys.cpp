#include "storage/ApiKeys.h"

#include "common/Digest.h"

#include <Poco/RandomStream.h>

namespace passerelle::storage {

std::string sha256Hex(const std::string& bytes) { return digest::sha256Hex(bytes); }

std::string hashApiKey(const std::string& secret) { return sha256Hex(secret); }

GeneratedKey generateApiKey() {
    // RandomInputStream reads the kernel's random source (/dev/urandom).
    Poco::RandomInputStream rnd;
    unsigned char raw[API_KEY_RANDOM_BYTES];
    rnd.read(reinterpret_cast<char*>(raw), sizeof raw);
    static const char* hex = "0123456789abcdef";
    GeneratedKey k;
    k.secret = API_KEY_SCHEME;
    for (unsigned char c : raw) {
        k.secret.push_back(hex[c >> 4]);
        k.secret.push_back(hex[c & 0xF]);
    }
    k.prefix = k.secret.substr(0, API_KEY_PREFIX_CHARS);
    k.hash = hashApiKey(k.secret);
    return k;
}

bool looksLikeApiKey(const std::string& text) {
    const std::string scheme = API_KEY_SCHEME;
    if (text.size() != scheme.size() + 2 * API_KEY_RANDOM_BYTES || text.compare(0, scheme.size(), scheme) != 0) return false;
    for (std::size_t i = scheme.size(); i < text.size(); ++i) {
        char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

} // namespace passerelle::storage
