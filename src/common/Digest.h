#pragma once
// SHA-256 through OpenSSL (its SHA-NI / AVX2 code: about ten times Poco's SHA2Engine on this
// machine), for document ids, API key hashes and signatures' digests.
#include <array>
#include <string>
#include <string_view>

namespace passerelle::digest {

std::array<unsigned char, 32> sha256(std::string_view bytes);
// Lower-case hexadecimal, 64 characters.
std::string sha256Hex(std::string_view bytes);
std::string toHex(const unsigned char* bytes, std::size_t n);

} // namespace passerelle::digest
