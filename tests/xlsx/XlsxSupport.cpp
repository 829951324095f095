#include "xlsx/XlsxSupport.h"

#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Path.h>

#include "support/TestSupport.h"

namespace passerelle::testing::xlsx {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {
const char* const kPython = "/usr/bin/python3"; // Debian's, with python3-openpyxl (not a pyenv python)
std::string script(const std::string& name) { return sourceDir() + "/tests/xlsx/" + name; }
} // namespace

int rowOf(const std::string& r) {
    std::size_t i = 0;
    while (i < r.size() && std::isalpha(static_cast<unsigned char>(r[i]))) ++i;
    return std::atoi(r.c_str() + i) - 1;
}

int colOf(const std::string& r) {
    int c = 0;
    for (char ch : r) {
        if (!std::isalpha(static_cast<unsigned char>(ch))) break;
        c = c * 26 + (ch - 'A' + 1);
    }
    return c - 1;
}

std::string ref(int row, int col) {
    std::string letters;
    for (int c = col + 1; c > 0; c = (c - 1) / 26) letters.insert(letters.begin(), static_cast<char>('A' + (c - 1) % 26));
    return letters + std::to_string(row + 1);
}

std::vector<std::string> Workbook::sheets() const {
    std::vector<std::string> out;
    auto a = _json->getArray("sheets");
    for (unsigned i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(i));
    return out;
}

Object::Ptr Workbook::cell(const std::string& r) const {
    auto cells = _json->getObject("cells");
    return cells->has(r) ? cells->getObject(r) : nullptr;
}

bool Workbook::has(const std::string& r) const { return cell(r) != nullptr; }
Var Workbook::value(const std::string& r) const { auto c = cell(r); return c ? c->get("value") : Var(); }
Var Workbook::cached(const std::string& r) const { auto c = cell(r); return c ? c->get("cached") : Var(); }

double Workbook::number(const std::string& r) const {
    Var v = cached(r);
    return v.isNumeric() ? v.convert<double>() : std::nan("");
}

std::string Workbook::text(const std::string& r) const {
    Var v = value(r);
    return v.isEmpty() ? "" : v.toString();
}

std::string Workbook::type(const std::string& r) const { auto c = cell(r); return c ? c->getValue<std::string>("type") : ""; }
std::string Workbook::format(const std::string& r) const { auto c = cell(r); return c ? c->getValue<std::string>("format") : ""; }

std::vector<std::string> Workbook::cells(const std::string& sheet) const {
    std::vector<std::string> out;
    const std::string prefix = sheet + "!";
    for (const auto& key : _json->getObject("cells")->getNames())
        if (key.compare(0, prefix.size(), prefix) == 0) out.push_back(key.substr(prefix.size()));
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
        return std::make_pair(rowOf(a), colOf(a)) < std::make_pair(rowOf(b), colOf(b));
    });
    return out;
}

std::string Workbook::find(const std::string& sheet, const std::string& t) const {
    for (const auto& c : cells(sheet))
        if (text(sheet + "!" + c) == t) return c;
    return "";
}

Object::Ptr Workbook::print(const std::string& sheet) const { return _json->getObject("print")->getObject(sheet); }
Array::Ptr Workbook::conditional(const std::string& sheet) const { return _json->getObject("conditional")->getArray(sheet); }
Array::Ptr Workbook::charts() const { return _json->getArray("charts"); }
Object::Ptr Workbook::properties() const { return _json->getObject("properties"); }

bool Workbook::hasPart(const std::string& name) const {
    auto parts = _json->getArray("parts");
    for (unsigned i = 0; i < parts->size(); ++i) if (parts->getElement<std::string>(i) == name) return true;
    return false;
}

Workbook inspectFile(const std::string& path) {
    CommandResult r = run({kPython, script("inspect_workbook.py"), path});
    if (r.exitCode != 0) throw std::runtime_error("inspect_workbook.py failed on " + path + ": " + r.err);
    Poco::JSON::Parser p;
    return Workbook(p.parse(r.out).extract<Object::Ptr>());
}

Workbook inspect(const std::string& bytes) {
    TempDir dir;
    writeFile(dir.file("in.xlsx"), bytes);
    return inspectFile(dir.file("in.xlsx"));
}

void stripAndEdit(const std::string& in, const std::string& out, const std::vector<std::string>& edits) {
    std::vector<std::string> argv = {kPython, script("strip_and_edit.py"), in, out};
    argv.insert(argv.end(), edits.begin(), edits.end());
    CommandResult r = run(argv);
    if (r.exitCode != 0) throw std::runtime_error("strip_and_edit.py failed: " + r.err);
}

std::vector<std::string> partsContaining(const std::string& bytes, const std::vector<std::string>& canaries,
                                         std::vector<std::string>* parts) {
    TempDir dir;
    writeFile(dir.file("in.xlsx"), bytes);
    std::vector<std::string> argv = {kPython, script("scan_parts.py"), dir.file("in.xlsx")};
    argv.insert(argv.end(), canaries.begin(), canaries.end());
    CommandResult r = run(argv);
    if (r.exitCode != 0) throw std::runtime_error("scan_parts.py failed: " + r.err);
    Poco::JSON::Parser p;
    auto json = p.parse(r.out).extract<Object::Ptr>();
    std::vector<std::string> out;
    auto hits = json->getArray("hits");
    for (unsigned i = 0; i < hits->size(); ++i)
        out.push_back(hits->getObject(i)->getValue<std::string>("part") + ": " + hits->getObject(i)->getValue<std::string>("canary"));
    if (parts) {
        auto names = json->getArray("parts");
        for (unsigned i = 0; i < names->size(); ++i) parts->push_back(names->getElement<std::string>(i));
    }
    return out;
}

std::vector<std::string> libreOfficeRecalc(const std::vector<std::string>& files, const std::string& outDir) {
    const std::string soffice = "/usr/bin/soffice";
    if (!Poco::File(soffice).exists()) throw std::runtime_error("LibreOffice absent : installez libreoffice-calc-nogui");
    // A fresh profile whose settings force recalculation of OOXML formulas on load.
    TempDir profile;
    Poco::File(profile.path() + "/user").createDirectories();
    writeFile(profile.path() + "/user/registrymodifications.xcu",
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
              "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
              "<item oor:path=\"/org.openoffice.Office.Calc/Formula/Load\"><prop oor:name=\"OOXMLRecalcMode\" oor:op=\"fuse\">"
              "<value>0</value></prop></item>\n</oor:items>\n");
    std::vector<std::string> argv = {soffice, "--headless", "--norestore", "--nologo",
                                     "-env:UserInstallation=file://" + profile.path(), "--convert-to", "xlsx", "--outdir", outDir};
    argv.insert(argv.end(), files.begin(), files.end());
    CommandResult r = run(argv);
    std::vector<std::string> out;
    for (const auto& f : files) {
        std::string converted = outDir + "/" + Poco::Path(f).getFileName();
        if (r.exitCode != 0 || !Poco::File(converted).exists())
            throw std::runtime_error("LibreOffice conversion failed for " + f + ": " + r.out + r.err);
        out.push_back(converted);
    }
    return out;
}

std::vector<std::string> libreOfficePdf(const std::vector<std::string>& files, const std::string& outDir) {
    const std::string soffice = "/usr/bin/soffice";
    if (!Poco::File(soffice).exists()) throw std::runtime_error("LibreOffice absent : installez libreoffice-calc-nogui");
    TempDir profile;
    std::vector<std::string> argv = {soffice, "--headless", "--norestore", "--nologo",
                                     "-env:UserInstallation=file://" + profile.path(), "--convert-to", "pdf", "--outdir", outDir};
    argv.insert(argv.end(), files.begin(), files.end());
    CommandResult r = run(argv);
    std::vector<std::string> out;
    for (const auto& f : files) {
        std::string converted = outDir + "/" + Poco::Path(f).getBaseName() + ".pdf";
        if (r.exitCode != 0 || !Poco::File(converted).exists())
            throw std::runtime_error("LibreOffice conversion failed for " + f + ": " + r.out + r.err);
        out.push_back(converted);
    }
    return out;
}

std::string pdfPageText(const std::string& pdf, int page) {
    CommandResult r = run({"/usr/bin/pdftotext", "-layout", "-f", std::to_string(page), "-l", std::to_string(page), pdf, "-"});
    if (r.exitCode != 0) throw std::runtime_error("pdftotext failed on " + pdf + ": " + r.err);
    return r.out;
}

int pdfPages(const std::string& pdf) {
    CommandResult r = run({"/usr/bin/pdfinfo", pdf});
    if (r.exitCode != 0) throw std::runtime_error("pdfinfo failed on " + pdf + ": " + r.err);
    auto at = r.out.find("Pages:");
    return at == std::string::npos ? 0 : std::stoi(r.out.substr(at + 6));
}

Object::Ptr example(const std::string& name) { return readJson(sourceDir() + "/examples/" + name + ".json"); }

Result<service::Rendered> render(const std::string& form, const Object::Ptr& data, const std::string& format) {
    service::RenderService svc(repoCatalog());
    service::RenderRequest req;
    req.form = form;
    req.format = format;
    req.data = data;
    return svc.render(req);
}

std::string renderOk(const std::string& form, const Object::Ptr& data, const std::string& format) {
    auto r = render(form, data, format);
    if (!r.isOk()) {
        ADD_FAILURE() << "render " << form << " " << format << ": " << r.status().toString();
        return "";
    }
    return r.value().bytes;
}

Object::Ptr clone(const Object::Ptr& o) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(o, out);
    Poco::JSON::Parser p;
    return p.parse(out.str()).extract<Object::Ptr>();
}

} // namespace passerelle::testing::xlsx
