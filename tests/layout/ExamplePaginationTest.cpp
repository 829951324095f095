// The pagination rules (PaginationChecks.h) on every example of examples/: each is composed
// with its template (the variant its data selects) and laid out with the fixed-width fake
// metrics at three advances (narrow, Helvetica-like, wide), then every rule is checked on the
// pages. The examples' PDFs are also read back: no line of their text opens with ; : ! ? or ».
#include <gtest/gtest.h>

#include <sstream>

#include "layout/PaginationChecks.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"
#include "templates/Template.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += "\n  " + x;
    return s;
}

} // namespace

TEST(ExamplePagination, EveryRuleHoldsOnEveryExample) {
    service::RenderService svc(repoCatalog());
    int checked = 0;
    for (const auto& e : exampleFiles()) {
        if (e.form.empty()) continue;
        auto def = repoCatalog().forms->find(e.form);
        if (!def->supportsFormat("pdf")) continue;
        auto filled = svc.validate(e.form, readJson(e.file));
        ASSERT_TRUE(filled.isOk()) << e.name << ": " << filled.status().toString();
        auto variant = forms::chooseVariant(*def, filled.value().data, "");
        ASSERT_TRUE(variant.isOk()) << e.name;
        auto tpl = repoCatalog().templates->find(e.form, variant.value());
        ASSERT_TRUE(tpl) << e.name;
        auto composed = templates::compose(*tpl, filled.value(), {"DOC-1", "01/12/2026", {}, ""});
        for (double advance : {0.45, 0.5, 0.55}) {
            layout::FixedWidthMetrics metrics(advance);
            auto doc = layout::paginate(composed.blocks, composed.setup, metrics);
            auto violations = layout::checks::all(composed.blocks, doc, composed.setup);
            EXPECT_TRUE(violations.empty()) << e.name << " (advance " << advance << ", " << doc.pages.size() << " pages):" << joined(violations);
            ++checked;
        }
    }
    EXPECT_GE(checked, 3 * 12);
}

TEST(ExamplePagination, RenderedExamplesKeepTheFrenchNoBreakRules) {
    service::RenderService svc(repoCatalog());
    for (const auto& e : exampleFiles()) {
        if (e.form.empty() || !repoCatalog().forms->find(e.form)->supportsFormat("pdf")) continue;
        service::RenderRequest req;
        req.form = e.form;
        req.data = readJson(e.file);
        auto r = svc.render(req);
        ASSERT_TRUE(r.isOk()) << e.name << ": " << r.status().toString();
        std::istringstream lines(pdfToText(r.value().bytes));
        for (std::string line; std::getline(lines, line);) {
            std::size_t i = line.find_first_not_of(" \f");
            if (i == std::string::npos) continue;
            std::string t = line.substr(i);
            bool bad = t[0] == ';' || t[0] == '!' || t[0] == '?' || t.rfind("\xC2\xBB", 0) == 0;
            EXPECT_FALSE(bad) << e.name << ": a line opens with a mark French typography keeps on the line before: « " << t << " »";
            EXPECT_FALSE(t.size() >= 2 && t.compare(t.size() - 2, 2, "\xC2\xAB") == 0) << e.name << ": a line ends with « : " << t;
        }
    }
}
