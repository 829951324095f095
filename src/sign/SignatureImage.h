#pragma once
// Signature images: a "data:image/png;base64,…" URL (a canvas' toDataURL)
// decoded and flattened on white (PDF/A-1 allows no transparency).
// Limits: 4 MiB of PNG, 2000 × 1000 pixels. Pure; thread-safe.
#include <string>

#include "common/Status.h"
#include "sign/PdfA.h"

namespace passerelle::sign {

// The PNG bytes of a data URL; InvalidArgument naming `field` otherwise.
Result<std::string> pngFromDataUrl(const std::string& dataUrl, const std::string& field);
// Decodes PNG bytes to opaque RGB (alpha composed on white).
Result<RgbImage> decodePng(const std::string& png, const std::string& field);

} // namespace passerelle::sign
