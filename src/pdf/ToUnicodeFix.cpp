#include "pdf/ToUnicodeFix.h"

#include <cstdio>
#include <sstream>

#include <Poco/DeflatingStream.h>
#include <cstdlib>
#include <vector>

namespace passerelle::pdf {

std::string identityToUnicodeCMap() {
    std::string cmap =
        "/CIDInit /ProcSet findresource begin\n"
        "12 dict begin\n"
        "begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
    // One bfrange per high byte (a range may only vary in its last byte), at most 100 per block;
    // surrogate code units (D800–DFFF) are not characters and are left out.
    std::vector<int> highs;
    for (int h = 0; h < 256; ++h)
        if (h < 0xD8 || h > 0xDF) highs.push_back(h);
    for (std::size_t i = 0; i < highs.size(); i += 100) {
        std::size_t n = std::min<std::size_t>(100, highs.size() - i);
        cmap += std::to_string(n) + " beginbfrange\n";
        for (std::size_t k = i; k < i + n; ++k) {
            char line[40];
            std::snprintf(line, sizeof line, "<%02X00> <%02XFF> <%02X00>\n", highs[k], highs[k], highs[k]);
            cmap += line;
        }
        cmap += "endbfrange\n";
    }
    cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
    return cmap;
}

namespace {

struct Xref {
    std::size_t tablePos = 0;   // offset of "xref"
    std::size_t firstEntry = 0; // offset of the first 20-byte entry
    int count = 0;
    std::size_t startxrefValuePos = 0, startxrefValueLen = 0;
};

bool parseXref(const std::string& pdf, Xref& x) {
    std::size_t sx = pdf.rfind("startxref");
    if (sx == std::string::npos) return false;
    std::size_t v = sx + 9;
    while (v < pdf.size() && (pdf[v] == '\r' || pdf[v] == '\n' || pdf[v] == ' ')) ++v;
    std::size_t e = v;
    while (e < pdf.size() && pdf[e] >= '0' && pdf[e] <= '9') ++e;
    if (e == v) return false;
    x.startxrefValuePos = v;
    x.startxrefValueLen = e - v;
    x.tablePos = std::strtoul(pdf.c_str() + v, nullptr, 10);
    if (pdf.compare(x.tablePos, 4, "xref") != 0) return false;
    // "xref\n0 N\n" then N entries of exactly 20 bytes.
    std::size_t p = x.tablePos + 4;
    while (p < pdf.size() && (pdf[p] == '\r' || pdf[p] == '\n')) ++p;
    if (pdf.compare(p, 2, "0 ") != 0) return false;
    x.count = std::atoi(pdf.c_str() + p + 2);
    std::size_t eol = pdf.find('\n', p);
    if (eol == std::string::npos || x.count <= 0) return false;
    x.firstEntry = eol + 1;
    return x.firstEntry + 20 * static_cast<std::size_t>(x.count) <= pdf.size();
}

} // namespace

int fixToUnicodeCMaps(std::string& pdf) {
    static const std::string kMarker = "/CMapName /UTF-8\n";
    static const std::string kFilter = "/Filter [ /FlateDecode ]\n";
    // Compressed like the stream it replaces (zlib format = FlateDecode); the same bytes for every
    // document, so compressed once per process.
    static const std::string cmap = [] {
        std::ostringstream out;
        Poco::DeflatingOutputStream deflate(out, Poco::DeflatingStreamBuf::STREAM_ZLIB, 9);
        deflate << identityToUnicodeCMap();
        deflate.close();
        return out.str();
    }();
    int fixed = 0;
    std::size_t search = 0;
    while (true) {
        Xref x;
        if (!parseXref(pdf, x)) return fixed;
        std::size_t marker = pdf.find(kMarker, search);
        if (marker == std::string::npos || marker > x.tablePos) return fixed;
        // The enclosing object: "<n> 0 obj\n<<\n/Length <m> 0 R\n…>>\nstream\r\n<data>\nendstream".
        std::size_t objStart = pdf.rfind(" 0 obj\n", marker);
        std::size_t dictEnd = pdf.find(">>\nstream\r\n", marker);
        std::size_t lengthKey = pdf.find("/Length ", objStart);
        if (objStart == std::string::npos || dictEnd == std::string::npos || lengthKey == std::string::npos || lengthKey > marker)
            return fixed;
        std::size_t dataStart = dictEnd + 11;
        std::size_t dataEnd = pdf.find("\nendstream", dataStart);
        std::size_t nextObj = pdf.find(" 0 obj\n", dataStart);
        if (dataEnd == std::string::npos || (nextObj != std::string::npos && nextObj < dataEnd)) return fixed;
        std::size_t lengthEnd = pdf.find('\n', lengthKey);
        // The stream's length is an indirect object ("/Length 8 0 R" … "8 0 obj\n386\nendobj"): it must
        // match the data found, or this is not the layout we know.
        int lengthObj = std::atoi(pdf.c_str() + lengthKey + 8);
        std::size_t lengthDef = pdf.find("\n" + std::to_string(lengthObj) + " 0 obj\n", dataEnd);
        if (lengthObj <= 0 || lengthDef == std::string::npos) return fixed;
        std::size_t declared = std::strtoul(pdf.c_str() + pdf.find("obj\n", lengthDef) + 4, nullptr, 10);
        if (declared != dataEnd - dataStart) return fixed;
        // Rebuild the dictionary with a direct length; the filter stays.
        std::string dict = pdf.substr(lengthKey, dictEnd - lengthKey);
        if (dict.find(kFilter) == std::string::npos) return fixed; // not the layout we know
        dict.replace(0, lengthEnd - lengthKey, "/Length " + std::to_string(cmap.size()));
        std::string replacement = dict + ">>\nstream\r\n" + cmap;
        const std::size_t oldFrom = lengthKey, oldTo = dataEnd;
        const long delta = static_cast<long>(replacement.size()) - static_cast<long>(oldTo - oldFrom);
        pdf.replace(oldFrom, oldTo - oldFrom, replacement);
        // Shift every object after the change, the xref table's own position and startxref.
        x.firstEntry += delta;
        for (int i = 0; i < x.count; ++i) {
            std::size_t at = x.firstEntry + 20 * static_cast<std::size_t>(i);
            if (pdf[at + 17] != 'n') continue;
            unsigned long off = std::strtoul(pdf.c_str() + at, nullptr, 10);
            if (off <= oldFrom) continue;
            char buf[11];
            std::snprintf(buf, sizeof buf, "%010lu", static_cast<unsigned long>(off + delta));
            pdf.replace(at, 10, buf, 10);
        }
        std::size_t sxPos = x.startxrefValuePos + delta;
        pdf.replace(sxPos, x.startxrefValueLen, std::to_string(x.tablePos + delta));
        search = oldFrom + replacement.size();
        ++fixed;
    }
}

} // namespace passerelle::pdf
