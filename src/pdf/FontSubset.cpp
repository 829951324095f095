#include "pdf/FontSubset.h"

#include <cstdint>

#include <hb-subset.h>
#include <hb.h>

#include <algorithm>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

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
    // 'prep' gets a program that does nothing (PUSHB[0] 0, POP) rather than nothing: libharu
    // 2.3.0, when it wrote such a subset itself, could not save one whose last table ('prep') was
    // empty with everything before it filling a whole number of its 4 096-byte buffers (« code
    // 0x1033 » at saving). The renderer now writes the file itself (keepGlyphs), which keeps the
    // table order; the program stays, so that libharu's own writing would work too.
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

std::shared_ptr<const SharedSubset::Derived> SharedSubset::derived(Slot slot, const std::string& key) const {
    std::lock_guard<std::mutex> lock(_mutex);
    const auto& d = _derived[slot];
    return d && d->key == key ? d : nullptr;
}

void SharedSubset::attach(Slot slot, std::shared_ptr<const Derived> d) const {
    std::lock_guard<std::mutex> lock(_mutex);
    _derived[slot] = std::move(d);
}

namespace {

// The last subsets made, most recently used first.
struct SubsetCache {
    std::mutex mutex;
    std::size_t capacity = 64;
    std::list<std::pair<std::string, std::shared_ptr<const SharedSubset>>> entries;
    std::unordered_map<std::string, decltype(entries)::iterator> index;

    void trim() {
        while (entries.size() > capacity) {
            index.erase(entries.back().first);
            entries.pop_back();
        }
    }
};

SubsetCache& subsetCache() {
    static SubsetCache cache;
    return cache;
}

} // namespace

std::shared_ptr<const SharedSubset> sharedSubsetRemapped(const std::string& path,
                                                         const std::vector<std::pair<char32_t, char32_t>>& remap) {
    std::string key = path;
    key.push_back('\0');
    for (const auto& [code, of] : remap) {
        for (char32_t v : {code, of})
            for (int i = 0; i < 4; ++i) key.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
    SubsetCache& cache = subsetCache();
    {
        std::lock_guard<std::mutex> lock(cache.mutex);
        auto it = cache.index.find(key);
        if (it != cache.index.end()) {
            cache.entries.splice(cache.entries.begin(), cache.entries, it->second);
            return it->second->second;
        }
    }
    // Made outside the lock: two threads may make the same subset at once, the first one stored wins.
    auto made = std::make_shared<SharedSubset>();
    made->bytes = subsetFontRemapped(path, remap);
    if (made->bytes.empty()) return nullptr;
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.capacity == 0) return made;
    auto it = cache.index.find(key);
    if (it != cache.index.end()) return it->second->second;
    cache.entries.emplace_front(key, made);
    cache.index.emplace(std::move(key), cache.entries.begin());
    cache.trim();
    return made;
}

void setSubsetCacheCapacity(std::size_t subsets) {
    SubsetCache& cache = subsetCache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    cache.capacity = subsets;
    cache.trim();
}

std::size_t subsetCacheCapacity() {
    SubsetCache& cache = subsetCache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    return cache.capacity;
}

namespace {

unsigned read16(const std::string& b, std::size_t at) {
    return at + 2 <= b.size() ? (static_cast<unsigned char>(b[at]) << 8) | static_cast<unsigned char>(b[at + 1]) : 0;
}
std::uint32_t read32(const std::string& b, std::size_t at) { return (static_cast<std::uint32_t>(read16(b, at)) << 16) | read16(b, at + 2); }
void put32(std::string& out, std::uint32_t v) {
    put16(out, v >> 16);
    put16(out, v & 0xFFFF);
}
void write32(std::string& out, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xFF);
}
// The TrueType checksum: the sum of the big-endian 32-bit words, the last one padded with zeros.
std::uint32_t checksum(const std::string& b, std::size_t at, std::size_t length) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < length; i += 4) {
        std::uint32_t word = 0;
        for (std::size_t k = 0; k < 4; ++k) word = (word << 8) | (i + k < length ? static_cast<unsigned char>(b[at + i + k]) : 0u);
        sum += word;
    }
    return sum;
}

struct Table {
    std::uint32_t tag;
    std::string data;
};

} // namespace

std::string keepGlyphs(const std::string& font, const unsigned char* used, unsigned count) {
    if (font.size() < 12 || !used) return font;
    const unsigned numTables = read16(font, 4);
    if (font.size() < 12 + 16 * static_cast<std::size_t>(numTables)) return font;
    std::vector<Table> tables;
    std::size_t glyf = SIZE_MAX, loca = SIZE_MAX, head = SIZE_MAX, maxp = SIZE_MAX;
    for (unsigned i = 0; i < numTables; ++i) {
        const std::size_t entry = 12 + 16 * static_cast<std::size_t>(i);
        const std::uint32_t tag = read32(font, entry), offset = read32(font, entry + 8), length = read32(font, entry + 12);
        if (offset > font.size() || length > font.size() - offset) return font;
        tables.push_back({tag, font.substr(offset, length)});
        if (tag == 0x676C7966) glyf = i; // 'glyf'
        if (tag == 0x6C6F6361) loca = i; // 'loca'
        if (tag == 0x68656164) head = i; // 'head'
        if (tag == 0x6D617870) maxp = i; // 'maxp'
    }
    if (glyf == SIZE_MAX || loca == SIZE_MAX || head == SIZE_MAX || tables[head].data.size() < 54) return font;
    const bool longOffsets = read16(tables[head].data, 50) == 1;
    const std::string& locaData = tables[loca].data;
    const std::string& glyfData = tables[glyf].data;
    if (maxp == SIZE_MAX || read16(tables[maxp].data, 4) != count || locaData.size() < (static_cast<std::size_t>(count) + 1) * (longOffsets ? 4 : 2))
        return font; // not `count` glyphs
    auto offsetOf = [&](unsigned g) -> std::size_t {
        return longOffsets ? read32(locaData, 4 * static_cast<std::size_t>(g)) : 2 * static_cast<std::size_t>(read16(locaData, 2 * static_cast<std::size_t>(g)));
    };
    for (unsigned g = 0; g < count; ++g)
        if (offsetOf(g) > offsetOf(g + 1) || offsetOf(g + 1) > glyfData.size()) return font;
    // The glyphs kept: .notdef, those drawn, and the components of any composite among them.
    std::vector<bool> keep(count, false);
    std::vector<unsigned> todo{0};
    for (unsigned g = 0; g < count; ++g)
        if (used[g]) todo.push_back(g);
    while (!todo.empty()) {
        const unsigned g = todo.back();
        todo.pop_back();
        if (g >= count || keep[g]) continue;
        keep[g] = true;
        const std::size_t start = offsetOf(g), end = offsetOf(g + 1);
        if (end - start < 10 || static_cast<std::int16_t>(read16(glyfData, start)) >= 0) continue; // simple or empty
        for (std::size_t at = start + 10; at + 4 <= end;) {                                      // components
            const unsigned flags = read16(glyfData, at);
            todo.push_back(read16(glyfData, at + 2));
            at += 4 + ((flags & 0x0001) ? 4 : 2);                                  // ARG_1_AND_2_ARE_WORDS
            at += (flags & 0x0008) ? 2 : (flags & 0x0040) ? 4 : (flags & 0x0080) ? 8 : 0; // a scale, x and y, 2 × 2
            if (!(flags & 0x0020)) break;                                          // MORE_COMPONENTS
        }
    }
    std::string newGlyf, newLoca;
    for (unsigned g = 0; g <= count; ++g) {
        if (longOffsets) put32(newLoca, static_cast<std::uint32_t>(newGlyf.size()));
        else put16(newLoca, static_cast<unsigned>(newGlyf.size() / 2));
        if (g == count || !keep[g]) continue;
        newGlyf.append(glyfData, offsetOf(g), offsetOf(g + 1) - offsetOf(g));
        if (newGlyf.size() % 2) newGlyf.push_back('\0'); // short offsets count in words
    }
    tables[glyf].data = std::move(newGlyf);
    tables[loca].data = std::move(newLoca);
    write32(tables[head].data, 8, 0); // checkSumAdjustment, computed once the file is whole
    // The same directory (version, count, search fields), tables 4-byte aligned in the same order.
    std::string out = font.substr(0, 12);
    std::size_t offset = 12 + 16 * tables.size();
    std::vector<std::size_t> offsets;
    for (const Table& t : tables) {
        offsets.push_back(offset);
        put32(out, t.tag);
        put32(out, checksum(t.data, 0, t.data.size()));
        put32(out, static_cast<std::uint32_t>(offset));
        put32(out, static_cast<std::uint32_t>(t.data.size()));
        offset += (t.data.size() + 3) / 4 * 4;
    }
    for (const Table& t : tables) {
        out += t.data;
        out.append((4 - t.data.size() % 4) % 4, '\0');
    }
    write32(out, offsets[head] + 8, 0xB1B0AFBAu - checksum(out, 0, out.size()));
    return out;
}

} // namespace passerelle::pdf
