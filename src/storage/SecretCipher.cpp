#include "storage/SecretCipher.h"

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/String.h>

namespace passerelle::storage {

namespace {

std::string base64(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder enc(out);
    enc.rdbuf()->setLineLength(0);
    enc << bytes;
    enc.close();
    return out.str();
}

bool unbase64(const std::string& text, std::string& bytes) {
    try {
        std::istringstream in(text);
        Poco::Base64Decoder dec(in);
        std::ostringstream out;
        out << dec.rdbuf();
        bytes = out.str();
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const auto* U8(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

Status badKey(const std::string& where) {
    return Status::invalidArgument("secrets_key_invalid",
                                   "Clé des secrets invalide (" + where +
                                       ") : 32 octets encodés en base64 attendus / invalid secrets key: 32 bytes in base64 expected.");
}

} // namespace

Result<std::shared_ptr<const SecretCipher>> SecretCipher::fromKey(const std::string& keyBytes) {
    if (keyBytes.size() != KEY_BYTES) return badKey("longueur");
    return std::shared_ptr<const SecretCipher>(new SecretCipher(keyBytes));
}

Result<std::shared_ptr<const SecretCipher>> SecretCipher::load(const std::string& keyBase64, const std::string& keyFile,
                                                               const std::string& defaultKeyFile) {
    auto decode = [](const std::string& text, const std::string& where) -> Result<std::shared_ptr<const SecretCipher>> {
        std::string bytes;
        if (!unbase64(Poco::trim(text), bytes) || bytes.size() != KEY_BYTES) return badKey(where);
        return fromKey(bytes);
    };
    if (!keyBase64.empty()) return decode(keyBase64, "passerelle.secrets.key");
    const std::string path = keyFile.empty() ? defaultKeyFile : keyFile;
    if (!Poco::File(path).exists()) {
        if (!keyFile.empty())
            return Status::notFound("secrets_key_missing", "Fichier de la clé des secrets introuvable : " + path +
                                                               " / secrets key file not found.");
        Poco::File(Poco::Path(path).makeParent()).createDirectories();
        std::string raw(KEY_BYTES, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&raw[0]), static_cast<int>(raw.size())) != 1)
            return Status::internal("secrets_key_random", "Tirage aléatoire impossible pour la clé des secrets.");
        const std::string text = "# Clé de chiffrement des secrets de webhook de Passerelle (AES-256-GCM) : à garder hors de la base"
                                 " et à sauvegarder ; sans elle, les secrets enregistrés sont perdus.\n" +
                                 base64(raw) + "\n";
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
            ::close(fd);
            if (!ok) return Status::internal("secrets_key_write", "Écriture impossible de la clé des secrets : " + path);
        } else if (errno != EEXIST) {
            return Status::internal("secrets_key_write", "Création impossible de la clé des secrets : " + path);
        }
    }
    std::ifstream in(path);
    if (!in) return Status::internal("secrets_key_read", "Lecture impossible de la clé des secrets : " + path);
    for (std::string line; std::getline(in, line);) {
        const std::string k = Poco::trim(line);
        if (!k.empty() && k[0] != '#') return decode(k, path);
    }
    return badKey(path);
}

bool SecretCipher::isEncrypted(const std::string& stored) { return stored.rfind(SECRET_PREFIX_V1, 0) == 0; }

Result<std::string> SecretCipher::encrypt(const std::string& plaintext, const std::string& context) const {
    std::string nonce(NONCE_BYTES, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&nonce[0]), static_cast<int>(nonce.size())) != 1)
        return Status::internal("secret_encrypt", "Tirage aléatoire impossible pour le chiffrement.");
    Ctx ctx(EVP_CIPHER_CTX_new());
    std::string out(plaintext.size() + 16, '\0');
    std::string tag(TAG_BYTES, '\0');
    int len = 0, total = 0;
    auto* o = reinterpret_cast<unsigned char*>(&out[0]);
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(NONCE_BYTES), nullptr) != 1 ||
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U8(_key), U8(nonce)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, U8(context), static_cast<int>(context.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), o, &len, U8(plaintext), static_cast<int>(plaintext.size())) != 1)
        return Status::internal("secret_encrypt", "Chiffrement du secret impossible.");
    total = len;
    if (EVP_EncryptFinal_ex(ctx.get(), o + total, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(TAG_BYTES), &tag[0]) != 1)
        return Status::internal("secret_encrypt", "Chiffrement du secret impossible.");
    total += len;
    out.resize(static_cast<std::size_t>(total));
    return std::string(SECRET_PREFIX_V1) + base64(nonce + out + tag);
}

Result<std::string> SecretCipher::decrypt(const std::string& stored, const std::string& context) const {
    std::string raw;
    if (!isEncrypted(stored) || !unbase64(stored.substr(3), raw) || raw.size() < NONCE_BYTES + TAG_BYTES)
        return Status::invalidArgument("secret_format", "Secret enregistré illisible (format v1 attendu).");
    const std::string nonce = raw.substr(0, NONCE_BYTES);
    const std::string ct = raw.substr(NONCE_BYTES, raw.size() - NONCE_BYTES - TAG_BYTES);
    std::string tag = raw.substr(raw.size() - TAG_BYTES);
    Ctx ctx(EVP_CIPHER_CTX_new());
    std::string out(ct.size() + 16, '\0');
    int len = 0, total = 0;
    auto* o = reinterpret_cast<unsigned char*>(&out[0]);
    const Status undecryptable = Status::failedPrecondition(
        "secret_undecryptable", "Le secret enregistré ne se déchiffre pas avec la clé des secrets (autre clé ou données altérées)"
                                " / the stored secret does not decrypt with the secrets key.");
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(NONCE_BYTES), nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U8(_key), U8(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, U8(context), static_cast<int>(context.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), o, &len, U8(ct), static_cast<int>(ct.size())) != 1)
        return undecryptable;
    total = len;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(TAG_BYTES), &tag[0]) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), o + total, &len) != 1)
        return undecryptable;
    total += len;
    out.resize(static_cast<std::size_t>(total));
    return out;
}

} // namespace passerelle::storage
