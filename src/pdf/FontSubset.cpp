#include "pdf/FontSubset.h"

#include <hb-subset.h>
#include <hb.h>

#include <algorithm>
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

namespace {

hb_face_t* subsetFace(const std::string& path, const std::set<char32_t>& codePoints, bool hinting) {
    hb_face_t* face = faceOf(path);
    if (!face) return nullptr;
    hb_subset_input_t* input = hb_subset_input_create_or_fail();
    if (!input) return {};
    hb_set_t* unicodes = hb_subset_input_unicode_set(input);
    for (char32_t cp : codePoints) hb_set_add(unicodes, cp);
    // libharu draws through the cmap only: no shaping tables are needed (Arabic arrives already
    // shaped into presentation forms). Hinting tables stay unless asked: libharu requires cvt,
    // fpgm and prep to be present.
    if (!hinting) hb_subset_input_set_flags(input, HB_SUBSET_FLAGS_NO_HINTING);
    hb_set_t* drop = hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG);
    for (const char* tag : {"GSUB", "GPOS", "GDEF", "kern", "DSIG", "FFTM", "gasp", "morx", "JSTF", "BASE"})
        hb_set_add(drop, hb_tag_from_string(tag, 4));
    hb_face_t* subset = hb_subset_or_fail(face, input);
    hb_subset_input_destroy(input);
    return subset;
}

std::string bytesOf(hb_face_t* subset) {
    hb_blob_t* blob = hb_face_reference_blob(subset);
    unsigned length = 0;
    const char* data = hb_blob_get_data(blob, &length);
    std::string bytes(data ? data : "", data ? length : 0);
    hb_blob_destroy(blob);
    return bytes;
}

void put16(std::string& out, unsigned v) {
    out.push_back(static_cast<char>((v >> 8) & 0xFF));
    out.push_back(static_cast<char>(v & 0xFF));
}

// A 'cmap' table with one Windows Unicode BMP (3,1) subtable in format 4: one segment per
// character, each with its own delta, then the closing 0xFFFF segment.
std::string cmapTable(const std::map<unsigned, unsigned>& codeToGlyph) {
    std::vector<std::pair<unsigned, unsigned>> segs(codeToGlyph.begin(), codeToGlyph.end());
    segs.erase(std::remove_if(segs.begin(), segs.end(), [](const auto& p) { return p.first >= 0xFFFF; }), segs.end());
    segs.emplace_back(0xFFFF, 0); // glyph 0 through delta 1
    const unsigned segCount = static_cast<unsigned>(segs.size());
    unsigned entrySelector = 0;
    while ((2u << entrySelector) <= segCount) ++entrySelector;
    const unsigned searchRange = 2u << entrySelector;
    std::string sub;
    put16(sub, 4);
    put16(sub, 16 + 8 * segCount); // length
    put16(sub, 0);                 // language
    put16(sub, 2 * segCount);
    put16(sub, searchRange);
    put16(sub, entrySelector);
    put16(sub, 2 * segCount - searchRange);
    for (const auto& s : segs) put16(sub, s.first); // endCode
    put16(sub, 0);                                  // reservedPad
    for (const auto& s : segs) put16(sub, s.first); // startCode
    for (const auto& s : segs) put16(sub, s.first == 0xFFFF ? 1 : (s.second - s.first) & 0xFFFF); // idDelta
    for (std::size_t i = 0; i < segs.size(); ++i) put16(sub, 0); // idRangeOffset
    std::string table;
    put16(table, 0); // version
    put16(table, 1); // one subtable
    put16(table, 3);
    put16(table, 1);
    put16(table, 0);
    put16(table, 12); // offset (32-bit)
    return table + sub;
}

hb_blob_t* blobOf(const std::string& bytes) {
    return hb_blob_create(bytes.data(), static_cast<unsigned>(bytes.size()), HB_MEMORY_MODE_DUPLICATE, nullptr, nullptr);
}

} // namespace

std::string subsetFont(const std::string& path, const std::set<char32_t>& codePoints) {
    hb_face_t* subset = subsetFace(path, codePoints, /*hinting=*/true);
    if (!subset) return {};
    std::string bytes = bytesOf(subset);
    hb_face_destroy(subset);
    return bytes;
}

std::string subsetFontRemapped(const std::string& path, const std::vector<std::pair<char32_t, char32_t>>& remap) {
    std::set<char32_t> wanted;
    for (const auto& r : remap) wanted.insert(r.second);
    // Without hinting (instructions are most of a small subset, and PDF readers hardly use them):
    // libharu still wants the cvt, fpgm and prep tables, added back empty below.
    hb_face_t* built = subsetFace(path, wanted, /*hinting=*/false);
    if (!built) return {};
    // The subset as a font file, read back as an ordinary face (its tables can be listed).
    const std::string file = bytesOf(built);
    hb_face_destroy(built);
    hb_blob_t* fileBlob = blobOf(file);
    hb_face_t* subset = hb_face_create(fileBlob, 0);
    hb_blob_destroy(fileBlob);
    // Glyph ids in the subset of each wanted character.
    hb_font_t* font = hb_font_create(subset);
    std::map<unsigned, unsigned> codeToGlyph;
    for (const auto& [code, of] : remap) {
        hb_codepoint_t gid = 0;
        if (hb_font_get_nominal_glyph(font, of, &gid) && gid != 0) codeToGlyph[code] = gid;
    }
    hb_font_destroy(font);
    // Rebuild the font file: every table of the subset, with the new character map.
    hb_face_t* builder = hb_face_builder_create();
    hb_tag_t tags[64];
    unsigned count = 64;
    hb_face_get_table_tags(subset, 0, &count, tags);
    const hb_tag_t cmapTag = hb_tag_from_string("cmap", 4);
    for (unsigned i = 0; i < count; ++i) {
        if (tags[i] == cmapTag) continue;
        hb_blob_t* t = hb_face_reference_table(subset, tags[i]);
        hb_face_builder_add_table(builder, tags[i], t);
        hb_blob_destroy(t);
    }
    // 'prep' comes last in the file libharu writes, and libharu 2.3.0 cannot save a font whose
    // last table is empty when everything before it fills a whole number of its 4 096-byte
    // buffers (it seeks to the end of its memory stream and finds no buffer there: « code
    // 0x1033 » at saving). So 'prep' gets a program that does nothing: PUSHB[0] 0, POP.
    static const char kNoOpProgram[] = {'\xB0', '\x00', '\x21'};
    for (const char* tag : {"cvt ", "fpgm", "prep"}) {
        const hb_tag_t t = hb_tag_from_string(tag, 4);
        if (std::find(tags, tags + count, t) != tags + count) continue;
        hb_blob_t* content = t == hb_tag_from_string("prep", 4)
                                 ? hb_blob_create(kNoOpProgram, sizeof kNoOpProgram, HB_MEMORY_MODE_READONLY, nullptr, nullptr)
                                 : hb_blob_get_empty();
        hb_face_builder_add_table(builder, t, content);
        hb_blob_destroy(content);
    }
    hb_blob_t* cmap = blobOf(cmapTable(codeToGlyph));
    hb_face_builder_add_table(builder, cmapTag, cmap);
    hb_blob_destroy(cmap);
    std::string bytes = bytesOf(builder);
    hb_face_destroy(builder);
    hb_face_destroy(subset);
    return bytes;
}

} // namespace passerelle::pdf
