#include "sign/SignatureImage.h"

#include <sstream>

#include <png.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>

namespace passerelle::sign {

namespace {
constexpr std::size_t kMaxPngBytes = 4 * 1024 * 1024;
constexpr unsigned kMaxWidth = 2000, kMaxHeight = 1000;
} // namespace

Result<std::string> pngFromDataUrl(const std::string& dataUrl, const std::string& field) {
    const std::string prefix = "data:image/png;base64,";
    if (dataUrl.compare(0, prefix.size(), prefix) != 0)
        return Status::invalidArgument("bad_image", field + " : image attendue au format « data:image/png;base64,… ».",
                                       {{field, "png_data_url", "Image PNG attendue (data:image/png;base64,…)."}});
    std::istringstream in(dataUrl.substr(prefix.size()));
    Poco::Base64Decoder dec(in);
    std::string png;
    try {
        char buf[8192];
        while (dec) {
            dec.read(buf, sizeof buf);
            png.append(buf, static_cast<std::size_t>(dec.gcount()));
            if (png.size() > kMaxPngBytes)
                return Status::invalidArgument("bad_image", field + " : image trop volumineuse (4 Mio au plus).",
                                               {{field, "max_size", "Image trop volumineuse (4 Mio au plus)."}});
        }
    } catch (const Poco::Exception&) {
        return Status::invalidArgument("bad_image", field + " : base64 invalide.", {{field, "base64", "Base64 invalide."}});
    }
    return png;
}

Result<RgbImage> decodePng(const std::string& png, const std::string& field) {
    auto bad = [&](const std::string& why) {
        return Status::invalidArgument("bad_image", field + " : " + why, {{field, "png", why}});
    };
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) return bad("image PNG illisible.");
    if (image.width == 0 || image.height == 0 || image.width > kMaxWidth || image.height > kMaxHeight) {
        png_image_free(&image);
        return bad("dimensions de l'image hors limites (2000 × 1000 pixels au plus).");
    }
    image.format = PNG_FORMAT_RGB; // no alpha: composed on the background below
    png_color white{255, 255, 255};
    RgbImage out;
    out.width = static_cast<int>(image.width);
    out.height = static_cast<int>(image.height);
    out.rgb.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, &white, out.rgb.data(), 0, nullptr)) {
        png_image_free(&image);
        return bad("image PNG illisible.");
    }
    return out;
}

} // namespace passerelle::sign
