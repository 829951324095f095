#pragma once
// Embedded fonts without paying for the whole font per document: each TrueType face is read
// and parsed once per process (HarfBuzz, preprocessed for subsetting), and each document
// embeds a subset cut to the code points it draws. The renderer hands the subset's bytes to
// libharu in a memory stream (PdfRenderer.cpp, FontBook::loadFromMemory); nothing touches the
// file system.
//
// Thread-safe: the face cache is guarded; a parsed face is immutable and shared.
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace passerelle::pdf {

// A subset of the font at `path` that keeps (at least) the glyphs of `codePoints`, with the
// tables libharu needs (cmap, glyf, hmtx, hinting…), as bytes. Empty on failure (unreadable
// font, or HarfBuzz refuses the subset).
std::string subsetFont(const std::string& path, const std::set<char32_t>& codePoints);

// The same subset with its character map replaced: each pair (code, of) maps character `code`
// to the glyph of character `of`. A simple (single-byte) TrueType font drawn through a fixed
// encoding then shows, for each byte, the glyph assigned to it. Empty on failure.
std::string subsetFontRemapped(const std::string& path, const std::vector<std::pair<char32_t, char32_t>>& remap);

// A remapped subset made once and shared, for the life of the process, by the documents that draw
// the same characters with the same face: a household's documents, the previews of a form being
// filled. `bytes` is what subsetFontRemapped gives; a renderer may attach what it made from it for
// one document (the font file as written, with the glyphs that document drew) for the next one.
struct SharedSubset {
    std::string bytes;
    enum Slot { FontFile, ToUnicode };
    struct Derived {
        std::string key;   // what it was made from beyond the subset (the glyphs drawn, zlib's level…)
        std::string value; // what was made (the deflated font file, say)
        std::size_t length = 0; // the length of `value` before it was deflated
    };
    // What was attached in `slot` under `key`, or nullptr.
    std::shared_ptr<const Derived> derived(Slot slot, const std::string& key) const;
    // Attaches `d` in its slot, in place of what was there.
    void attach(Slot slot, std::shared_ptr<const Derived> d) const;

private:
    mutable std::mutex _mutex;
    mutable std::shared_ptr<const Derived> _derived[2];
};

// subsetFontRemapped through a cache of the last `subsetCacheCapacity()` subsets (path and map as
// the key, least recently used dropped first; thread-safe). nullptr on failure, never cached.
std::shared_ptr<const SharedSubset> sharedSubsetRemapped(const std::string& path,
                                                         const std::vector<std::pair<char32_t, char32_t>>& remap);
// The cache's bound, 64 subsets by default (an entry is a few tens of kilobytes); 0 disables it
// and empties it (benchmarks of a document whose characters are new to the process).
void setSubsetCacheCapacity(std::size_t subsets);
std::size_t subsetCacheCapacity();

// `font` (a TrueType file) with the outlines of the glyphs not in `used` emptied: `used[g]` is
// non-zero for each glyph `g` a document draws (libharu's record of the glyphs it measured). The
// glyphs those are made of (composites' components) and .notdef are kept; every other table is
// copied as it is, and the checksums are computed again. What libharu's own saving does, reading
// the font back a few bytes at a time, done here in one pass. `font` unchanged if its tables are
// not as expected or `count` is not its number of glyphs.
std::string keepGlyphs(const std::string& font, const unsigned char* used, unsigned count);

} // namespace passerelle::pdf
