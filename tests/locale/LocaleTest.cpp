// Under a French process locale, libxlsxwriter 1.1.4 would write width="58,7109375" and <v>0,17…</v>
// (openpyxl then refuses the file): Passerelle forces LC_NUMERIC=C at start-up (common/Locale.h).
// The test sets fr_FR.UTF-8 in-process, as a library or a future setlocale(LC_ALL, "") would.
#include <clocale>
#include <cstdio>

#include <gtest/gtest.h>

#include "common/Locale.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"
#include "xlsx/XlsxSupport.h"

using namespace passerelle;

namespace {

std::string printed(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", d);
    return buf;
}

class FrenchLocale : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(std::setlocale(LC_ALL, "fr_FR.UTF-8"), nullptr)
            << "locale fr_FR.UTF-8 absente : localedef -i fr_FR -f UTF-8 fr_FR.UTF-8 (scripts/setup --tests)";
        // The locale is really in force: printf writes a decimal comma.
        ASSERT_EQ(printed(0.5), "0,50");
    }
    void TearDown() override { std::setlocale(LC_ALL, "C"); }

    service::Rendered render(const std::string& form, const std::string& example, const std::string& format) {
        service::RenderService svc(passerelle::testing::repoCatalog());
        service::RenderRequest req;
        req.form = form;
        req.format = format;
        req.data = passerelle::testing::readJson(passerelle::testing::sourceDir() + "/examples/" + example);
        auto r = svc.render(req);
        EXPECT_TRUE(r.isOk()) << r.status().toString();
        return r.isOk() ? r.value() : service::Rendered{};
    }
};

} // namespace

TEST_F(FrenchLocale, TheGuardRestoresTheDecimalPointAndKeepsTheRest) {
    EXPECT_TRUE(enforceCNumericLocale());
    EXPECT_EQ(printed(0.5), "0.50");
    EXPECT_NE(std::string(std::setlocale(LC_CTYPE, nullptr)).find("fr_FR"), std::string::npos);
}

TEST_F(FrenchLocale, WorkbooksAndPdfsAreSoundOnceGuarded) {
    ASSERT_TRUE(enforceCNumericLocale());
    auto xlsx = render("budget-annexe", "budget-annexe-sarthe-plateformes.json", "xlsx");
    ASSERT_FALSE(xlsx.bytes.empty());
    // openpyxl refuses a decimal comma in a column width or a cached value.
    auto wb = passerelle::testing::xlsx::inspect(xlsx.bytes);
    ASSERT_FALSE(wb.sheets().empty());
    auto pdf = render("fiche-navette", "fiche-navette-association-vers-bailleur.json", "pdf");
    std::string check;
    EXPECT_TRUE(passerelle::testing::qpdfCheck(pdf.bytes, &check)) << check;
    EXPECT_NE(passerelle::testing::normaliseSpaces(passerelle::testing::pdfToText(pdf.bytes)).find("Benali"), std::string::npos);
}

TEST_F(FrenchLocale, WithoutTheGuardTheWorkbookIsRefusedByItsReader) {
    // The defect the guard prevents, shown on today's libxlsxwriter: keeps this test able to fail.
    auto xlsx = render("budget-annexe", "budget-annexe-sarthe-plateformes.json", "xlsx");
    ASSERT_FALSE(xlsx.bytes.empty());
    EXPECT_ANY_THROW(passerelle::testing::xlsx::inspect(xlsx.bytes));
}
