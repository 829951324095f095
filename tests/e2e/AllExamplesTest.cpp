// Every example of every form renders, in every format its form offers, through
// the service and through the CLI binary; every template shows every field.
#include <gtest/gtest.h>

#include <Poco/Path.h>

#include <sstream>

#include "service/RenderService.h"
#include "support/Expected.h"
#include "support/TestSupport.h"
#include "templates/Template.h"

using namespace passerelle;
using namespace passerelle::testing;

TEST(AllExamples, EachExampleNamesAForm) {
    auto examples = exampleFiles();
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
    for (const auto& e : exampleFiles()) {
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
                std::string text = pdfBodyText(r.value().bytes);
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
    for (const auto& e : exampleFiles()) {
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
