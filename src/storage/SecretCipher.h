#pragma once
// Encryption at rest of the secrets the service must read back in clear (issue 12: the landlords'
// webhook signing secrets, storage/WebhookSecretStore.h). AES-256-GCM (OpenSSL EVP), a random
// 96-bit nonce per value, the row's identifier as associated data (a value copied onto another
// row does not decrypt), stored as versioned text:
//     v1:<base64(nonce[12] | ciphertext | tag[16])>
// The key (32 bytes) lives outside the database: passerelle.secrets.key (base64), or the file
// passerelle.secrets.keyFile, else DATA_DIR/secrets.key, generated at first start with mode 0600
// (docs/operations.md). Errors never carry the plaintext nor the key. Thread-safe (immutable).
#include <memory>
#include <string>

#include "common/Status.h"

namespace passerelle::storage {

inline constexpr const char* SECRET_PREFIX_V1 = "v1:";

class SecretCipher {
public:
    static constexpr std::size_t KEY_BYTES = 32;
    static constexpr std::size_t NONCE_BYTES = 12;
    static constexpr std::size_t TAG_BYTES = 16;

    // InvalidArgument "secrets_key_invalid" unless exactly 32 bytes.
    static Result<std::shared_ptr<const SecretCipher>> fromKey(const std::string& keyBytes);
    // `keyBase64` (passerelle.secrets.key) when set; else the file `keyFile` (passerelle.secrets.keyFile)
    // when set, which must exist; else `defaultKeyFile` (DATA_DIR/secrets.key), created (0600) when absent.
    // A key file holds the base64 key on one line; lines starting with '#' are comments.
    static Result<std::shared_ptr<const SecretCipher>> load(const std::string& keyBase64, const std::string& keyFile,
                                                            const std::string& defaultKeyFile);

    // "v1:" + base64(nonce | ciphertext | tag); `context` is bound as associated data.
    Result<std::string> encrypt(const std::string& plaintext, const std::string& context) const;
    // The plaintext of a "v1:" value; FailedPrecondition "secret_undecryptable" when the tag does not
    // verify (another key, altered bytes, another row's value), InvalidArgument "secret_format" when
    // the text is not a v1 value.
    Result<std::string> decrypt(const std::string& stored, const std::string& context) const;
    static bool isEncrypted(const std::string& stored);

private:
    explicit SecretCipher(std::string key) : _key(std::move(key)) {}
    std::string _key;
};

} // namespace passerelle::storage
