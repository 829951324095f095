#include "common/Digest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace passerelle::digest {

std::array<unsigned char, 32> sha256(std::string_view bytes) {
    std::array<unsigned char, 32> md{};
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr) != 1 || len != md.size())
        throw std::runtime_error("SHA-256 indisponible (OpenSSL)");
    return md;
}

std::string toHex(const unsigned char* bytes, std::size_t n) {
    static const char kHex[] = "0123456789abcdef";
    std::string out(2 * n, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kHex[bytes[i] >> 4];
        out[2 * i + 1] = kHex[bytes[i] & 0xF];
    }
    return out;
}

std::string sha256Hex(std::string_view bytes) {
    const auto md = sha256(bytes);
    return toHex(md.data(), md.size());
}

} // namespace passerelle::digest
