#include "pdf/FontSubset.h"

#include <hb-subset.h>
#include <hb.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>

namespace passerelle::pdf {

namespace {

struct FaceDeleter {
    void operator()(hb_face_t* f) const { hb_face_destroy(f); }
};
using FacePtr = std::unique_ptr<hb_face_t, FaceDeleter>;

// One parsed face per font file, for the life of the process. nullptr when unreadable.
hb_face_t* faceOf(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, FacePtr> cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(path);
    if (it != cache.end()) return it->second.get();
    FacePtr face;
    hb_blob_t* blob = hb_blob_create_from_file_or_fail(path.c_str());
    if (blob) {
        hb_face_t* raw = hb_face_create(blob, 0);
        hb_blob_destroy(blob);
        if (raw && hb_face_get_glyph_count(raw) > 0) {
            // Preprocessing builds the lookup structures every subset would otherwise rebuild.
            face.reset(hb_subset_preprocess(raw));
            hb_face_destroy(raw);
        } else if (raw) {
            hb_face_destroy(raw);
        }
    }
    return cache.emplace(path, std::move(face)).first->second.get();
}

} // namespace

std::string subsetFont(const std::string& path, const std::set<char32_t>& codePoints) {
    hb_face_t* face = faceOf(path);
    if (!face) return {};
    hb_subset_input_t* input = hb_subset_input_create_or_fail();
    if (!input) return {};
    hb_set_t* unicodes = hb_subset_input_unicode_set(input);
    for (char32_t cp : codePoints) hb_set_add(unicodes, cp);
    // libharu draws through the cmap only: no shaping tables are needed (Arabic arrives already
    // shaped into presentation forms). Hinting tables stay: libharu requires cvt, fpgm and prep.
    hb_set_t* drop = hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG);
    for (const char* tag : {"GSUB", "GPOS", "GDEF", "kern", "DSIG", "FFTM", "gasp", "morx", "JSTF", "BASE"})
        hb_set_add(drop, hb_tag_from_string(tag, 4));
    hb_face_t* subset = hb_subset_or_fail(face, input);
    hb_subset_input_destroy(input);
    if (!subset) return {};
    hb_blob_t* blob = hb_face_reference_blob(subset);
    unsigned length = 0;
    const char* data = hb_blob_get_data(blob, &length);
    std::string bytes(data ? data : "", data ? length : 0);
    hb_blob_destroy(blob);
    hb_face_destroy(subset);
    return bytes;
}

MemoryFile::MemoryFile(const std::string& bytes) {
    _fd = memfd_create("passerelle-font", MFD_CLOEXEC);
    if (_fd < 0) return;
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(_fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) { ::close(_fd); _fd = -1; return; }
        done += static_cast<std::size_t>(n);
    }
    _path = "/proc/self/fd/" + std::to_string(_fd);
}

MemoryFile::~MemoryFile() {
    if (_fd >= 0) ::close(_fd);
}

} // namespace passerelle::pdf
