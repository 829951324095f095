// The per-request time limit on rendering (common/Deadline): layout and PDF drawing
// stop at their next check once the limit has passed, and the use case answers
// Unavailable "render_timeout" in French instead of a partial document.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/Deadline.h"
#include "layout/Layout.h"
#include "pdf/PdfRenderer.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

using Clock = std::chrono::steady_clock;

layout::TableBlock bigTable(int rows) {
    layout::TableBlock t;
    t.columns = {{"N°", 1}, {"Libellé", 4}};
    for (int i = 0; i < rows; ++i) t.rows.push_back({std::to_string(i), "ligne " + std::to_string(i)});
    return t;
}

} // namespace

TEST(RenderDeadline, NoScopeNeverExpires) {
    EXPECT_FALSE(Deadline::active());
    EXPECT_FALSE(Deadline::expired());
}

TEST(RenderDeadline, ScopesNestAndCancel) {
    std::atomic<bool> cancelled{false};
    {
        Deadline::Scope outer(Clock::now() + std::chrono::hours(1), &cancelled);
        EXPECT_FALSE(Deadline::expired());
        {
            Deadline::Scope inner(Clock::now() - std::chrono::milliseconds(1));
            EXPECT_TRUE(Deadline::expired());
        }
        EXPECT_FALSE(Deadline::expired());
        cancelled = true;
        EXPECT_TRUE(Deadline::expired());
        EXPECT_EQ(Deadline::status().errorCode(), "client_gone");
    }
    EXPECT_FALSE(Deadline::active());
}

TEST(RenderDeadline, LayoutStopsAtItsNextCheck) {
    layout::FixedWidthMetrics metrics;
    layout::PageSetup setup;
    std::vector<layout::Block> blocks = {bigTable(3000)};
    const std::size_t full = layout::paginate(blocks, setup, metrics).pages.size();
    ASSERT_GT(full, 20u);
    Deadline::Scope expired(Clock::now() - std::chrono::milliseconds(1));
    EXPECT_LE(layout::paginate(blocks, setup, metrics).pages.size(), 1u) << "stopped before laying out the rows";
}

TEST(RenderDeadline, RenderServiceAnswersRenderTimeoutInFrench) {
    service::RenderService svc(repoCatalog());
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = readJson(sourceDir() + "/examples/fiche-navette-association-vers-bailleur.json");
    {
        Deadline::Scope generous(Clock::now() + std::chrono::seconds(60));
        auto ok = svc.render(req);
        ASSERT_TRUE(ok.isOk()) << ok.status().toString();
        EXPECT_GT(ok.value().pages, 0);
    }
    for (const std::string format : {"pdf", "xlsx"}) {
        req.form = format == "pdf" ? "fiche-navette" : "budget-annexe";
        req.data = readJson(sourceDir() + (format == "pdf" ? "/examples/fiche-navette-association-vers-bailleur.json"
                                                            : "/examples/budget-annexe-sarthe-plateformes.json"));
        req.format = format;
        Deadline::Scope limit(std::chrono::milliseconds(250));
        std::this_thread::sleep_for(std::chrono::milliseconds(260)); // the work "took" longer than its limit
        auto late = svc.render(req);
        ASSERT_FALSE(late.isOk()) << format;
        EXPECT_EQ(late.status().code(), Status::Code::Unavailable) << format;
        EXPECT_EQ(late.status().errorCode(), "render_timeout") << format;
        EXPECT_NE(late.status().message().find("durée maximale de 250 ms"), std::string::npos) << late.status().message();
    }
}

TEST(RenderDeadline, PdfDrawingOfALongTableStopsEarly) {
    pdf::PdfOptions options;
    options.fontsDir = sourceDir() + "/fonts";
    layout::PageSetup setup;
    std::vector<layout::Block> blocks = {bigTable(6000)};
    auto t0 = Clock::now();
    auto full = pdf::render(blocks, setup, options);
    double fullSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
    ASSERT_TRUE(full.isOk());
    Deadline::Scope limit(Clock::now() + std::chrono::milliseconds(5));
    t0 = Clock::now();
    auto cut = pdf::render(blocks, setup, options);
    double cutSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_TRUE(Deadline::expired());
    if (cut.isOk()) {
        EXPECT_LT(cut.value().pages, full.value().pages);
    }
    EXPECT_LT(cutSeconds, fullSeconds) << "full " << fullSeconds << " s";
}
