#include "sign/SealKey.h"

#include "common/Digest.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace passerelle::sign {

namespace {

const char* kDevFile = "passerelle-dev-seal.pem";
// At most 64 characters (X.520 upper bound of a common name).
const char* kDevCommonName = "Passerelle DÉVELOPPEMENT – ne pas utiliser en production";

std::string opensslError() {
    unsigned long e = ERR_get_error();
    if (!e) return "erreur OpenSSL";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

std::string bioString(BIO* b) {
    BUF_MEM* mem = nullptr;
    BIO_get_mem_ptr(b, &mem);
    return mem ? std::string(mem->data, mem->length) : std::string();
}

bool readFile(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::stringstream s;
    s << in.rdbuf();
    out = s.str();
    return true;
}

} // namespace

struct SealKey::Impl {
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* chain = nullptr;
    ~Impl() {
        EVP_PKEY_free(key);
        X509_free(cert);
        if (chain) sk_X509_pop_free(chain, X509_free);
    }
};

std::string sha256Hex(const std::string& bytes) { return digest::sha256Hex(bytes); }

SealKey::SealKey(std::unique_ptr<Impl> impl, bool development) : _impl(std::move(impl)), _development(development) {}
SealKey::~SealKey() = default;

Result<std::shared_ptr<const SealKey>> SealKey::load(const SealConfig& c) {
    if (!c.pkcs12Path.empty()) return loadPkcs12(c.pkcs12Path, c.pkcs12Password);
    if (!c.keyPath.empty()) return loadPem(c.keyPath, c.certPath.empty() ? c.keyPath : c.certPath);
    if (!c.certPath.empty())
        return Status::invalidArgument("seal_key_missing", "passerelle.seal.cert est configuré sans passerelle.seal.key.");
    return development(c.developmentDir.empty() ? "." : c.developmentDir);
}

Result<std::shared_ptr<const SealKey>> SealKey::loadPem(const std::string& keyPath, const std::string& certPath) {
    std::string keyPem, certPem;
    if (!readFile(keyPath, keyPem))
        return Status::notFound("seal_key_missing", "Clé de scellement illisible : " + keyPath);
    if (!readFile(certPath, certPem))
        return Status::notFound("seal_cert_missing", "Certificat de scellement illisible : " + certPath);
    auto impl = std::make_unique<Impl>();
    BIO* kb = BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size()));
    impl->key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    if (!impl->key) return Status::invalidArgument("seal_key_invalid", "Clé de scellement invalide (" + keyPath + ") : " + opensslError());
    BIO* cb = BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size()));
    impl->cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    // Further certificates in the file form the chain.
    impl->chain = sk_X509_new_null();
    while (X509* extra = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr)) sk_X509_push(impl->chain, extra);
    ERR_clear_error();
    BIO_free(cb);
    if (!impl->cert)
        return Status::invalidArgument("seal_cert_invalid", "Certificat de scellement invalide (" + certPath + ").");
    if (X509_check_private_key(impl->cert, impl->key) != 1)
        return Status::invalidArgument("seal_key_mismatch", "La clé de scellement ne correspond pas au certificat (" + certPath + ").");
    std::shared_ptr<SealKey> k(new SealKey(std::move(impl), false));
    k->_development = k->subject().find("DÉVELOPPEMENT") != std::string::npos;
    return std::shared_ptr<const SealKey>(k);
}

Result<std::shared_ptr<const SealKey>> SealKey::loadPkcs12(const std::string& path, const std::string& password) {
    std::string der;
    if (!readFile(path, der)) return Status::notFound("seal_key_missing", "Fichier PKCS#12 illisible : " + path);
    BIO* b = BIO_new_mem_buf(der.data(), static_cast<int>(der.size()));
    PKCS12* p12 = d2i_PKCS12_bio(b, nullptr);
    BIO_free(b);
    if (!p12) return Status::invalidArgument("seal_key_invalid", "Fichier PKCS#12 invalide : " + path);
    auto impl = std::make_unique<Impl>();
    int ok = PKCS12_parse(p12, password.c_str(), &impl->key, &impl->cert, &impl->chain);
    PKCS12_free(p12);
    if (ok != 1 || !impl->key || !impl->cert)
        return Status::invalidArgument("seal_key_invalid", "Fichier PKCS#12 illisible (mot de passe ?) : " + path);
    return std::shared_ptr<const SealKey>(new SealKey(std::move(impl), false));
}

Result<std::shared_ptr<const SealKey>> SealKey::development(const std::string& dir) {
    const std::string path = dir + "/" + kDevFile;
    std::string existing;
    if (readFile(path, existing)) {
        return loadPem(path, path);
    }
    // Generate: RSA 2048, self-signed, CA:TRUE (so that a trust store can take it as its own root).
    auto impl = std::make_unique<Impl>();
    impl->key = EVP_RSA_gen(2048);
    if (!impl->key) return Status::internal("seal_keygen", "Génération de la clé de développement impossible : " + opensslError());
    impl->cert = X509_new();
    X509_set_version(impl->cert, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7F;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(impl->cert));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(impl->cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(impl->cert), 10L * 365 * 24 * 3600);
    X509_set_pubkey(impl->cert, impl->key);
    X509_NAME* name = X509_get_subject_name(impl->cert);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("FR"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Passerelle (développement)"), -1, -1, 0);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(kDevCommonName), -1, -1, 0))
        return Status::internal("seal_keygen", "Nom du certificat de développement refusé : " + opensslError());
    X509_set_issuer_name(impl->cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, impl->cert, impl->cert, nullptr, nullptr, 0);
    const std::pair<int, const char*> exts[] = {
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,digitalSignature,nonRepudiation,keyCertSign"},
        {NID_subject_key_identifier, "hash"},
    };
    for (const auto& [nid, value] : exts) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (!ext) return Status::internal("seal_keygen", "Extension X.509 refusée : " + opensslError());
        X509_add_ext(impl->cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (!X509_sign(impl->cert, impl->key, EVP_sha256()))
        return Status::internal("seal_keygen", "Signature du certificat de développement impossible : " + opensslError());
    // Write key + certificate, readable by the owner only.
    BIO* out = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(out, impl->key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_X509(out, impl->cert);
    std::string pem = bioString(out);
    BIO_free(out);
    ::mkdir(dir.c_str(), 0700);
    const std::string tmp = path + ".part";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f.write(pem.data(), static_cast<std::streamsize>(pem.size()));
        if (!f) return Status::internal("seal_keygen", "Écriture impossible : " + tmp);
    }
    ::chmod(tmp.c_str(), 0600);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::internal("seal_keygen", "Écriture impossible : " + path);
    impl->chain = sk_X509_new_null();
    return std::shared_ptr<const SealKey>(new SealKey(std::move(impl), true));
}

std::string SealKey::subject() const {
    BIO* b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, X509_get_subject_name(_impl->cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    std::string s = bioString(b);
    BIO_free(b);
    return s;
}

std::string SealKey::fingerprintSha256() const {
    unsigned char* der = nullptr;
    int len = i2d_X509(_impl->cert, &der);
    if (len <= 0) return "";
    std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return sha256Hex(bytes);
}

std::string SealKey::certificatePem() const {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, _impl->cert);
    std::string s = bioString(b);
    BIO_free(b);
    return s;
}

Result<std::string> SealKey::signDetached(const std::string& data) const {
    BIO* in = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
    CMS_ContentInfo* cms = CMS_sign(_impl->cert, _impl->key, _impl->chain, in,
                                    CMS_DETACHED | CMS_BINARY | CMS_CADES | CMS_NOSMIMECAP);
    BIO_free(in);
    if (!cms) return Status::internal("seal_sign", "Signature CMS impossible : " + opensslError());
    BIO* out = BIO_new(BIO_s_mem());
    int ok = i2d_CMS_bio(out, cms);
    CMS_ContentInfo_free(cms);
    std::string der = ok ? bioString(out) : std::string();
    BIO_free(out);
    if (!ok) return Status::internal("seal_sign", "Encodage CMS impossible : " + opensslError());
    return der;
}

} // namespace passerelle::sign
