// Every example of every form renders, in every format its form offers, through
// the service and through the CLI binary; every template shows every field.
#include <gtest/gtest.h>

#include <Poco/DirectoryIterator.h>
#include <Poco/Path.h>

#include <sstream>

#include "service/RenderService.h"
#include "support/Expected.h"
#include "support/TestSupport.h"
#include "templates/Template.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

struct Example {
    std::string file;
    std::string form;
};

// examples/<form-id>-<name>.json, the longest form id that prefixes the file name.
std::vector<Example> allExamples() {
    std::vector<Example> out;
    for (Poco::DirectoryIterator it(sourceDir() + "/examples"), end; it != end; ++it) {
        Poco::Path p(it->path());
        if (p.getExtension() != "json") continue;
        std::string base = p.getBaseName(), best;
        for (const auto& def : repoCatalog().forms->all())
            if (base.rfind(def->id + "-", 0) == 0 && def->id.size() > best.size()) best = def->id;
        out.push_back({it->path(), best});
    }
    std::sort(out.begin(), out.end(), [](const Example& a, const Example& b) { return a.file < b.file; });
    return out;
}

// pdftotext -raw, without the running header and footer. The layout draws them last on
// each page, so they are the last lines of each page's text: the footer ("… page X / Y")
// and, above it, the header, the same line on every page.
std::string bodyText(const std::string& pdf) {
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

} // namespace

TEST(AllExamples, EachExampleNamesAForm) {
    auto examples = allExamples();
    ASSERT_GE(examples.size(), 14u);
    for (const auto& e : examples) EXPECT_FALSE(e.form.empty()) << e.file << " does not start with a form id";
    // Every form has at least one example.
    for (const auto& def : repoCatalog().forms->all()) {
        bool any = false;
        for (const auto& e : examples) any = any || e.form == def->id;
        EXPECT_TRUE(any) << "no example for " << def->id;
    }
}

TEST(AllExamples, EveryTemplateShowsEveryFieldOfItsForm) {
    for (const auto& def : repoCatalog().forms->all()) {
        if (!def->supportsFormat("pdf")) continue;
        for (const auto& v : def->variants) {
            auto tpl = repoCatalog().templates->find(def->id, v.name);
            ASSERT_TRUE(tpl) << def->id << "." << v.name;
            std::string missing;
            for (const auto& m : templates::uncoveredFields(*tpl, *def)) missing += m + " ";
            EXPECT_TRUE(missing.empty()) << def->id << "." << v.name << " never shows: " << missing;
        }
    }
}

TEST(AllExamples, RenderInEveryFormatWithEveryValue) {
    service::RenderService svc(repoCatalog());
    for (const auto& e : allExamples()) {
        if (e.form.empty()) continue;
        auto def = repoCatalog().forms->find(e.form);
        auto data = readJson(e.file);
        for (const auto& format : def->formats) {
            service::RenderRequest req;
            req.form = e.form;
            req.format = format;
            req.data = data;
            auto r = svc.render(req);
            ASSERT_TRUE(r.isOk()) << e.file << " " << format << ": " << r.status().toString();
            if (format == "pdf") {
                std::string qpdf;
                EXPECT_TRUE(qpdfCheck(r.value().bytes, &qpdf)) << e.file << "\n" << qpdf;
                std::string text = bodyText(r.value().bytes);
                std::vector<std::string> values;
                expectedValues(def->fields, data, values);
                for (const auto& v : values)
                    EXPECT_NE(text.find(normaliseSpaces(v)), std::string::npos) << e.file << ": missing « " << v << " »";
            } else {
                EXPECT_EQ(r.value().bytes.compare(0, 2, "PK"), 0) << e.file << ": not a zip container";
                EXPECT_GT(r.value().bytes.size(), 4000u) << e.file;
            }
        }
    }
}

TEST(AllExamples, RenderThroughTheCli) {
    TempDir dir;
    for (const auto& e : allExamples()) {
        if (e.form.empty()) continue;
        auto def = repoCatalog().forms->find(e.form);
        for (const auto& format : def->formats) {
            std::string out = dir.file(Poco::Path(e.file).getBaseName() + "." + format);
            auto res = run({PASSERELLE_BINARY, "render", e.form, e.file, "-o", out});
            ASSERT_EQ(res.exitCode, 0) << e.file << " " << format << ": " << res.err;
            std::string bytes = readFile(out);
            if (format == "pdf") EXPECT_TRUE(qpdfCheck(bytes)) << e.file;
            else EXPECT_EQ(bytes.compare(0, 2, "PK"), 0) << e.file;
        }
    }
}
