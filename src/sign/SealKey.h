#pragma once
// SealKey: the deploying organisation's sealing identity (private key and
// X.509 certificate) and the detached CMS signature made with it (OpenSSL).
//
// Sources, in order (SealConfig): a PKCS#12 file with its password, or a PEM
// key and a PEM certificate (the same file may hold both). When none is
// configured, a self-signed DEVELOPMENT certificate is generated once in
// `developmentDir` (passerelle-dev-seal.pem, mode 0600) and reused; its
// subject says so ("… DÉVELOPPEMENT – ne pas utiliser en production").
//
// Immutable after loading; safe to share between threads (each signature
// builds its own CMS structure).
#include <memory>
#include <string>

#include "common/Status.h"

namespace passerelle::sign {

struct SealConfig {
    std::string pkcs12Path;     // passerelle.seal.pkcs12
    std::string pkcs12Password; // passerelle.seal.password
    std::string keyPath;        // passerelle.seal.key (PEM)
    std::string certPath;       // passerelle.seal.cert (PEM; default: keyPath)
    std::string developmentDir; // where the development certificate lives when nothing is configured
};

class SealKey {
public:
    ~SealKey();
    SealKey(const SealKey&) = delete;
    SealKey& operator=(const SealKey&) = delete;

    static Result<std::shared_ptr<const SealKey>> load(const SealConfig& config);
    static Result<std::shared_ptr<const SealKey>> loadPem(const std::string& keyPath, const std::string& certPath);
    static Result<std::shared_ptr<const SealKey>> loadPkcs12(const std::string& path, const std::string& password);
    // Reads DIR/passerelle-dev-seal.pem, or creates it (RSA 2048, self-signed, 10 years).
    static Result<std::shared_ptr<const SealKey>> development(const std::string& dir);

    bool isDevelopment() const { return _development; }
    std::string subject() const;           // RFC 2253, UTF-8
    std::string fingerprintSha256() const; // lower-case hex of the DER certificate
    std::string certificatePem() const;

    // A detached CMS SignedData (DER) over `data`: SHA-256, CAdES
    // signing-certificate-v2 (CMS_DETACHED | CMS_BINARY | CMS_CADES).
    Result<std::string> signDetached(const std::string& data) const;

    struct Impl;

private:
    explicit SealKey(std::unique_ptr<Impl> impl, bool development);
    std::unique_ptr<Impl> _impl;
    bool _development = false;
};

// SHA-256 of a DER certificate given as bytes, lower-case hex (used by verification).
std::string sha256Hex(const std::string& bytes);

} // namespace passerelle::sign
