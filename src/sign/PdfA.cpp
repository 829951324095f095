#include "sign/PdfA.h"

#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

namespace passerelle::sign {

namespace {

std::tm utc(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return tm;
}

std::string xmlEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

// XMP packet whose properties equal the Info entries (ISO 19005-1 §6.7.3).
std::string xmpPacket(const PdfAOptions& o) {
    const std::string date = xmpDate(o.createdEpochSeconds);
    std::string x;
    x += "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n";
    x += "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n";
    x += "<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">"
         "<pdfaid:part>1</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>\n";
    x += "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">";
    x += "<dc:format>application/pdf</dc:format>";
    if (!o.title.empty())
        x += "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" + xmlEscape(o.title) + "</rdf:li></rdf:Alt></dc:title>";
    if (!o.author.empty()) x += "<dc:creator><rdf:Seq><rdf:li>" + xmlEscape(o.author) + "</rdf:li></rdf:Seq></dc:creator>";
    if (!o.subject.empty())
        x += "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">" + xmlEscape(o.subject) +
             "</rdf:li></rdf:Alt></dc:description>";
    x += "</rdf:Description>\n";
    x += "<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">";
    x += "<xmp:CreatorTool>" + xmlEscape(o.creator) + "</xmp:CreatorTool><xmp:CreateDate>" + date +
         "</xmp:CreateDate><xmp:ModifyDate>" + date + "</xmp:ModifyDate><xmp:MetadataDate>" + date +
         "</xmp:MetadataDate></rdf:Description>\n";
    x += "<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"><pdf:Producer>" + xmlEscape(o.producer) +
         "</pdf:Producer>";
    if (!o.keywords.empty()) x += "<pdf:Keywords>" + xmlEscape(o.keywords) + "</pdf:Keywords>";
    x += "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n";
    x += std::string(20, ' ') + "\n<?xpacket end=\"w\"?>";
    return x;
}

// Number of glyphs of a TrueType font program ('maxp' table), 0 when unreadable.
unsigned ttfGlyphCount(const std::string& font) {
    if (font.size() < 12) return 0;
    auto u16 = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(font[i]) << 8 | static_cast<unsigned char>(font[i + 1])); };
    auto u32 = [&](std::size_t i) { return (u16(i) << 16) | u16(i + 2); };
    unsigned tables = u16(4);
    for (unsigned t = 0; t < tables; ++t) {
        std::size_t rec = 12 + 16 * t;
        if (rec + 16 > font.size()) return 0;
        if (font.compare(rec, 4, "maxp") == 0) {
            std::size_t off = u32(rec + 8);
            return off + 6 <= font.size() ? u16(off + 4) : 0;
        }
    }
    return 0;
}

// The descriptor entries PDF/A-1 wants that libharu does not write.
void repairFonts(QPDF& q) {
    for (QPDFObjectHandle obj : q.getAllObjects()) {
        if (!obj.isDictionary()) continue;
        QPDFObjectHandle type = obj.getKey("/Type");
        if (!type.isName() || type.getName() != "/Font") continue;
        QPDFObjectHandle sub = obj.getKey("/Subtype");
        if (!sub.isName() || sub.getName() != "/CIDFontType2") continue;
        if (!obj.hasKey("/CIDToGIDMap")) obj.replaceKey("/CIDToGIDMap", QPDFObjectHandle::newName("/Identity"));
        QPDFObjectHandle fd = obj.getKey("/FontDescriptor");
        if (!fd.isDictionary()) continue;
        if (!fd.hasKey("/CapHeight")) {
            // Liberation Sans: cap height 1409 / 2048 em.
            fd.replaceKey("/CapHeight", QPDFObjectHandle::newInteger(688));
        }
        QPDFObjectHandle ff = fd.getKey("/FontFile2");
        if (!fd.hasKey("/CIDSet") && ff.isStream()) {
            // Identity CID → GID: the program's glyphs are exactly the CIDs present.
            auto data = ff.getStreamData(qpdf_dl_generalized);
            unsigned n = ttfGlyphCount(std::string(reinterpret_cast<const char*>(data->getBuffer()), data->getSize()));
            if (n) {
                std::string bits((n + 7) / 8, '\0');
                for (unsigned g = 0; g < n; ++g) bits[g / 8] = static_cast<char>(bits[g / 8] | (0x80 >> (g % 8)));
                fd.replaceKey("/CIDSet", QPDFObjectHandle::newStream(&q, bits));
            }
        }
    }
}

} // namespace

std::string pdfDate(std::int64_t t) {
    std::tm tm = utc(t);
    char b[40];
    std::strftime(b, sizeof b, "D:%Y%m%d%H%M%S+00'00'", &tm);
    return b;
}

std::string xmpDate(std::int64_t t) {
    std::tm tm = utc(t);
    char b[40];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    return b;
}

Result<std::string> makePdfA(const std::string& mainPdf, const std::vector<std::string>& appendedPdfs,
                             const std::vector<ImagePlacement>& images, const PdfAOptions& options) {
    std::string icc;
    {
        std::ifstream in(options.iccProfilePath, std::ios::binary);
        if (!in) return Status::internal("icc_missing", "Profil ICC sRGB introuvable : " + options.iccProfilePath +
                                                            " (paquet Debian icc-profiles-free).");
        std::stringstream s;
        s << in.rdbuf();
        icc = s.str();
    }
    try {
        QPDF q;
        q.setSuppressWarnings(true);
        q.processMemoryFile("document.pdf", mainPdf.data(), mainPdf.size());
        QPDFPageDocumentHelper pages(q);

        // Pass 1: signature images on the document's own pages.
        auto docPages = pages.getAllPages();
        int n = 0;
        for (const auto& im : images) {
            if (im.page < 0 || im.page >= static_cast<int>(docPages.size()) || im.image.width <= 0) continue;
            QPDFObjectHandle img = QPDFObjectHandle::newStream(&q, im.image.rgb);
            QPDFObjectHandle dict = img.getDict();
            dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
            dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
            dict.replaceKey("/Width", QPDFObjectHandle::newInteger(im.image.width));
            dict.replaceKey("/Height", QPDFObjectHandle::newInteger(im.image.height));
            dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceRGB"));
            dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));
            const std::string name = "/PsgSig" + std::to_string(++n);
            QPDFPageObjectHelper& page = docPages[static_cast<std::size_t>(im.page)];
            QPDFObjectHandle res = page.getObjectHandle().getKey("/Resources");
            if (!res.isDictionary()) {
                res = QPDFObjectHandle::newDictionary();
                page.getObjectHandle().replaceKey("/Resources", res);
            }
            if (!res.getKey("/XObject").isDictionary()) res.replaceKey("/XObject", QPDFObjectHandle::newDictionary());
            res.getKey("/XObject").replaceKey(name, img);
            char cm[160];
            std::snprintf(cm, sizeof cm, "q %.3f 0 0 %.3f %.3f %.3f cm %s Do Q\n", im.w, im.h, im.x, im.y, name.c_str());
            page.addPageContents(QPDFObjectHandle::newStream(&q, cm), /*first=*/false);
        }

        // Pass 2: appended pages (certificate of signature). Their QPDFs live until written.
        std::vector<std::unique_ptr<QPDF>> others;
        for (const auto& extra : appendedPdfs) {
            others.push_back(std::make_unique<QPDF>());
            others.back()->setSuppressWarnings(true);
            others.back()->processMemoryFile("appended.pdf", extra.data(), extra.size());
            for (auto& p : QPDFPageDocumentHelper(*others.back()).getAllPages()) pages.addPage(p, /*first=*/false);
        }

        // Pass 3: fonts, Info, XMP, output intent.
        repairFonts(q);
        QPDFObjectHandle trailer = q.getTrailer();
        QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
        auto setInfo = [&](const char* key, const std::string& v) {
            if (!v.empty()) info.replaceKey(key, QPDFObjectHandle::newUnicodeString(v));
        };
        setInfo("/Title", options.title);
        setInfo("/Author", options.author);
        setInfo("/Subject", options.subject);
        setInfo("/Keywords", options.keywords);
        setInfo("/Creator", options.creator);
        setInfo("/Producer", options.producer);
        info.replaceKey("/CreationDate", QPDFObjectHandle::newString(pdfDate(options.createdEpochSeconds)));
        info.replaceKey("/ModDate", QPDFObjectHandle::newString(pdfDate(options.createdEpochSeconds)));
        trailer.replaceKey("/Info", q.makeIndirectObject(info));

        QPDFObjectHandle root = q.getRoot();
        QPDFObjectHandle meta = QPDFObjectHandle::newStream(&q, xmpPacket(options));
        meta.getDict().replaceKey("/Type", QPDFObjectHandle::newName("/Metadata"));
        meta.getDict().replaceKey("/Subtype", QPDFObjectHandle::newName("/XML"));
        root.replaceKey("/Metadata", meta);

        QPDFObjectHandle profile = QPDFObjectHandle::newStream(&q, icc);
        profile.getDict().replaceKey("/N", QPDFObjectHandle::newInteger(3));
        QPDFObjectHandle intent = QPDFObjectHandle::newDictionary();
        intent.replaceKey("/Type", QPDFObjectHandle::newName("/OutputIntent"));
        intent.replaceKey("/S", QPDFObjectHandle::newName("/GTS_PDFA1"));
        intent.replaceKey("/OutputConditionIdentifier", QPDFObjectHandle::newString("sRGB IEC61966-2.1"));
        intent.replaceKey("/Info", QPDFObjectHandle::newString("sRGB IEC61966-2.1"));
        intent.replaceKey("/DestOutputProfile", profile);
        QPDFObjectHandle intents = QPDFObjectHandle::newArray();
        intents.appendItem(intent);
        root.replaceKey("/OutputIntents", intents);

        // Pass 4: PDF 1.4, classic xref, no object streams, EOL before endstream.
        QPDFWriter w(q);
        w.setOutputMemory();
        w.setObjectStreamMode(qpdf_o_disable);
        w.setNewlineBeforeEndstream(true);
        w.forcePDFVersion("1.4");
        w.setCompressStreams(true);
        w.setStreamDataMode(qpdf_s_compress);
        w.write();
        auto buf = w.getBufferSharedPointer();
        return std::string(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
    } catch (const std::exception& e) {
        return Status::internal("pdfa_error", std::string("Conversion PDF/A impossible : ") + e.what());
    }
}

} // namespace passerelle::sign
