#include "sign/SignTestSupport.h"

#include <cmath>
#include <sstream>

#include <png.h>

#include <Poco/Base64Encoder.h>

#include "support/TestSupport.h"

namespace passerelle::testing {

std::string signaturePng(int w, int h, int seed) {
    std::string rgba(static_cast<std::size_t>(w * h * 4), '\0');
    for (int x = 0; x < w; ++x) {
        double yc = h / 2.0 + (h / 3.0) * std::sin((x + seed * 17) / 23.0);
        for (int dy = -2; dy <= 2; ++dy) {
            int y = static_cast<int>(yc) + dy;
            if (y < 0 || y >= h) continue;
            std::size_t i = static_cast<std::size_t>((y * w + x) * 4);
            rgba[i] = 0x10; rgba[i + 1] = 0x20; rgba[i + 2] = static_cast<char>(0x80); rgba[i + 3] = static_cast<char>(0xFF);
        }
    }
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(w);
    image.height = static_cast<png_uint_32>(h);
    image.format = PNG_FORMAT_RGBA;
    png_alloc_size_t size = 0;
    png_image_write_to_memory(&image, nullptr, &size, 0, rgba.data(), 0, nullptr);
    std::string out(size, '\0');
    png_image_write_to_memory(&image, out.data(), &size, 0, rgba.data(), 0, nullptr);
    out.resize(size);
    return out;
}

std::string signatureDataUrl(int seed) {
    std::ostringstream s;
    Poco::Base64Encoder enc(s);
    enc.rdbuf()->setLineLength(0);
    enc << signaturePng(300, 100, seed);
    enc.close();
    return "data:image/png;base64," + s.str();
}

PdfSig::PdfSig(const sign::SealKey& key, const std::string& d) : dir(d) {
    writeFile(dir + "/seal.pem", key.certificatePem());
    run({"certutil", "-N", "-d", "sql:" + dir, "--empty-password"});
    run({"certutil", "-A", "-d", "sql:" + dir, "-n", "passerelle-test", "-t", "CT,C,C", "-i", dir + "/seal.pem"});
}

std::string PdfSig::check(const std::string& pdfBytes) const {
    const std::string file = dir + "/check.pdf";
    writeFile(file, pdfBytes);
    auto r = run({"pdfsig", "-nssdir", "sql:" + dir, file});
    return r.out + r.err;
}

bool preflightA1b(const std::string& pdfBytes, std::string* output) {
    TempDir t;
    writeFile(t.file("a.pdf"), pdfBytes);
    const std::string cp = "/usr/share/java/preflight.jar:/usr/share/java/pdfbox2.jar:/usr/share/java/fontbox2.jar:"
                           "/usr/share/java/xmpbox.jar:/usr/share/java/commons-logging.jar:/usr/share/java/javax.activation.jar:"
                           "/usr/share/java/jaxb-api.jar";
    auto r = run({"java", "-cp", cp, "org.apache.pdfbox.preflight.Validator_A1b", t.file("a.pdf")});
    if (output) *output = r.out + r.err;
    return r.exitCode == 0 && (r.out + r.err).find("is a valid PDF/A-1b") != std::string::npos;
}

} // namespace passerelle::testing
