#pragma once
// Embedded fonts without paying for the whole font per document: each TrueType face is read
// and parsed once per process (HarfBuzz, preprocessed for subsetting), and each document
// embeds a subset cut to the code points it draws. libharu only loads fonts from a path, so
// the subset is handed over through an anonymous memory file (memfd) and its
// /proc/self/fd/N name, as the XLSX backend does; nothing touches the file system.
//
// Thread-safe: the face cache is guarded; a parsed face is immutable and shared.
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

// An anonymous in-memory file holding `bytes`, closed on destruction. path() names it for
// functions that only take a file name; a file opened through that name stays valid after
// this object is gone (the open file keeps the memory).
class MemoryFile {
public:
    explicit MemoryFile(const std::string& bytes);
    ~MemoryFile();
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;
    bool ok() const { return _fd >= 0; }
    const std::string& path() const { return _path; }

private:
    int _fd = -1;
    std::string _path;
};

} // namespace passerelle::pdf
