#include "support/TestSupport.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>

namespace passerelle::testing {

std::string sourceDir() {
    const char* env = std::getenv("PASSERELLE_SOURCE_DIR");
    return env ? env : PASSERELLE_SOURCE_DIR;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

void writeFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

Poco::JSON::Object::Ptr readJson(const std::string& path) {
    Poco::JSON::Parser parser;
    return parser.parse(readFile(path)).extract<Poco::JSON::Object::Ptr>();
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/passerelle-test-XXXXXX";
    char* p = mkdtemp(tmpl);
    if (!p) throw std::runtime_error("mkdtemp failed");
    _path = p;
}

TempDir::~TempDir() {
    try {
        Poco::File(_path).remove(true);
    } catch (...) {
    }
}

CommandResult run(const std::vector<std::string>& argv) {
    CommandResult r;
    Poco::Pipe outPipe, errPipe;
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    Poco::ProcessHandle ph = Poco::Process::launch(argv[0], args, nullptr, &outPipe, &errPipe);
    Poco::PipeInputStream outStream(outPipe), errStream(errPipe);
    // Read stderr in full after stdout; outputs of our tools are small enough not to dead-lock.
    std::string out, err;
    Poco::StreamCopier::copyToString(outStream, out);
    Poco::StreamCopier::copyToString(errStream, err);
    r.exitCode = ph.wait();
    r.out = out;
    r.err = err;
    return r;
}

std::string pdfToText(const std::string& pdfBytes, bool layout) {
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdfBytes);
    std::vector<std::string> argv = {"/usr/bin/pdftotext", "-enc", "UTF-8"};
    if (layout) argv.push_back("-layout");
    argv.push_back(dir.file("in.pdf"));
    argv.push_back(dir.file("out.txt"));
    CommandResult r = run(argv);
    if (r.exitCode != 0) throw std::runtime_error("pdftotext failed: " + r.err);
    return readFile(dir.file("out.txt"));
}

bool qpdfCheck(const std::string& pdfBytes, std::string* output) {
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdfBytes);
    CommandResult r = run({"/usr/bin/qpdf", "--check", dir.file("in.pdf")});
    if (output) *output = r.out + r.err;
    return r.exitCode == 0 && r.out.find("No syntax or stream encoding errors") != std::string::npos;
}

// pdftotext -raw, without the running header and footer. The layout draws them last on
// each page, so they are the last lines of each page's text: the footer ("… page X / Y")
// and, above it, the header, the same line on every page.
std::string pdfBodyText(const std::string& pdf) {
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdf);
    auto res = run({"/usr/bin/pdftotext", "-raw", "-enc", "UTF-8", dir.file("in.pdf"), dir.file("out.txt")});
    if (res.exitCode != 0) throw std::runtime_error("pdftotext: " + res.err);
    std::string raw = readFile(dir.file("out.txt"));
    std::vector<std::vector<std::string>> pages;
    std::size_t start = 0;
    while (start < raw.size()) {
        std::size_t ff = raw.find('\f', start);
        std::istringstream in(raw.substr(start, ff == std::string::npos ? std::string::npos : ff - start));
        start = ff == std::string::npos ? raw.size() : ff + 1;
        std::vector<std::string> lines;
        for (std::string l; std::getline(in, l);) if (!l.empty()) lines.push_back(l);
        if (!lines.empty() && lines.back().find(" page ") != std::string::npos) lines.pop_back();
        pages.push_back(lines);
    }
    bool sameHeader = pages.size() > 1;
    for (const auto& p : pages) sameHeader = sameHeader && !p.empty() && p.back() == pages.front().back();
    std::string out;
    for (auto& p : pages) {
        if (sameHeader) p.pop_back();
        for (const auto& l : p) out += l + "\n";
    }
    return normaliseSpaces(out);
}

int pdfPageCount(const std::string& pdfBytes) {
    TempDir dir;
    writeFile(dir.file("in.pdf"), pdfBytes);
    CommandResult r = run({"/usr/bin/qpdf", "--show-npages", dir.file("in.pdf")});
    return r.exitCode == 0 ? std::atoi(r.out.c_str()) : -1;
}

std::string normaliseSpaces(const std::string& text) {
    std::string out;
    bool space = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        bool isSpace = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
        if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0) { isSpace = true; ++i; }
        else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                 static_cast<unsigned char>(text[i + 2]) == 0xAF) { isSpace = true; i += 2; }
        if (isSpace) { space = true; continue; }
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(static_cast<char>(c));
    }
    return out;
}

void collectStrings(const Poco::JSON::Object::Ptr& obj, std::vector<std::string>& out) {
    for (const auto& key : obj->getNames()) {
        Poco::Dynamic::Var v = obj->get(key);
        if (v.type() == typeid(Poco::JSON::Object::Ptr)) collectStrings(v.extract<Poco::JSON::Object::Ptr>(), out);
        else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
            auto arr = v.extract<Poco::JSON::Array::Ptr>();
            for (unsigned i = 0; i < arr->size(); ++i) {
                Poco::Dynamic::Var item = arr->get(i);
                if (item.type() == typeid(Poco::JSON::Object::Ptr)) collectStrings(item.extract<Poco::JSON::Object::Ptr>(), out);
                else if (item.isString()) out.push_back(item.toString());
            }
        } else if (v.isString()) out.push_back(v.toString());
    }
}

const service::Catalog& repoCatalog() {
    static const service::Catalog catalog = [] {
        auto c = service::Catalog::load(sourceDir() + "/forms", sourceDir() + "/templates", sourceDir() + "/fonts");
        if (!c.isOk()) throw std::runtime_error("catalog: " + c.status().toString());
        return c.value();
    }();
    return catalog;
}

std::vector<ExampleFile> exampleFiles() {
    std::vector<ExampleFile> out;
    for (Poco::DirectoryIterator it(sourceDir() + "/examples"), end; it != end; ++it) {
        Poco::Path p(it->path());
        if (p.getExtension() != "json") continue;
        std::string base = p.getBaseName(), best;
        for (const auto& def : repoCatalog().forms->all())
            if (base.rfind(def->id + "-", 0) == 0 && def->id.size() > best.size()) best = def->id;
        out.push_back({it->path(), p.getFileName(), best});
    }
    std::sort(out.begin(), out.end(), [](const ExampleFile& a, const ExampleFile& b) { return a.file < b.file; });
    return out;
}

} // namespace passerelle::testing
