// Hostile request bodies over HTTP (issue 15 §2, §3): every one answers 4xx with a French JSON error,
// quickly, and the service keeps answering.
#include <chrono>

#include <gtest/gtest.h>

#include "http/HttpServer.h"
#include "support/HttpClient.h"
#include "support/RenderServer.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

class HardeningHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server = startRenderServer().release(); } // the shipped limits (2 MB bodies)
    static void TearDownTestSuite() {
        delete server;
        server = nullptr;
    }
    HttpResult post(const std::string& uri, const std::string& body, const std::string& contentType = "application/json") {
        HttpOptions options;
        options.timeoutSeconds = 60;
        return httpRequest(server->port(), "POST", uri, body, contentType, options);
    }
    static http::Server* server;
};

http::Server* HardeningHttp::server = nullptr;

bool hasDetail(const HttpResult& r, const std::string& path, const std::string& rule) {
    auto details = r.json()->getArray("details");
    for (unsigned i = 0; details && i < details->size(); ++i)
        if (details->getObject(i)->getValue<std::string>("path") == path &&
            details->getObject(i)->getValue<std::string>("rule") == rule)
            return true;
    return false;
}

} // namespace

TEST_F(HardeningHttp, NullInAMultipleChoiceIs400) {
    HttpResult r = post("/v1/validate/fiche-navette", R"({"motifsAlerte":[null]})");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.error(), "validation_failed");
    EXPECT_TRUE(hasDetail(r, "/motifsAlerte/0", "enum")) << r.body;
}

TEST_F(HardeningHttp, IntegerJustAboveInt64Is400) {
    HttpResult r = post("/v1/validate/budget-annexe", R"({"periode":{"anneeDebut":9223372036854775808}})");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(hasDetail(r, "/periode/anneeDebut", "max")) << r.body;
}

TEST_F(HardeningHttp, DuplicateKeysBomAndBadUtf8GetPositions) {
    HttpResult dup = post("/v1/validate/fiche-navette", R"({"date": "2026-11-22", "date": "2026-11-23"})");
    ASSERT_EQ(dup.status, 400) << dup.body;
    EXPECT_EQ(dup.error(), "json_invalid");
    EXPECT_NE(dup.json()->getValue<std::string>("message").find("clé « date » en double"), std::string::npos) << dup.body;
    EXPECT_NE(dup.json()->getValue<std::string>("message").find("ligne 1, colonne 24"), std::string::npos) << dup.body;
    HttpResult utf8 = post("/v1/validate/fiche-navette", "{\"objetPrecision\": \"\xFF\"}");
    ASSERT_EQ(utf8.status, 400);
    EXPECT_NE(utf8.json()->getValue<std::string>("message").find("UTF-8"), std::string::npos) << utf8.body;
    HttpResult bom = post("/v1/validate/fiche-navette", "\xEF\xBB\xBF{\"motifsAlerte\": [\"x\"]}");
    ASSERT_EQ(bom.status, 400);
    EXPECT_EQ(bom.error(), "validation_failed") << bom.body; // the BOM is skipped; the data is then checked
}

TEST_F(HardeningHttp, SixHundredFiftyThousandEmptyRowsAnswerQuicklyWithOneError) {
    std::string rows;
    rows.reserve(2000000);
    for (int i = 0; i < 650000; ++i) rows += i ? ",{}" : "{}";
    std::string body = R"({"menage": {"composition": [)" + rows + "]}}";
    ASSERT_LT(body.size(), 2u * 1024 * 1024);
    auto started = std::chrono::steady_clock::now();
    HttpResult r = post("/v1/validate/fiche-navette", body);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_EQ(r.status, 400);
    // Refused while reading, at the 100 001st value (forms/Json.h), with its position.
    EXPECT_EQ(r.error(), "json_invalid");
    EXPECT_TRUE(hasDetail(r, "/menage/composition/99997", "too_many_values")) << r.body.substr(0, 500);
    EXPECT_LT(r.body.size(), 64u * 1024) << "error list not capped";
    EXPECT_LT(seconds, 3.0);
}

TEST_F(HardeningHttp, ThousandsOfErrorsAreCappedWithTheirTotal) {
    std::string body = "{";
    for (int i = 0; i < 5000; ++i) body += (i ? ",\"x" : "\"x") + std::to_string(i) + "\": 1";
    body += "}";
    HttpResult r = post("/v1/validate/fiche-navette", body);
    ASSERT_EQ(r.status, 400);
    auto details = r.json()->getArray("details");
    ASSERT_EQ(details->size(), 101u);
    auto last = details->getObject(100);
    EXPECT_EQ(last->getValue<std::string>("rule"), "too_many_errors");
    EXPECT_NE(last->getValue<std::string>("message").find("erreurs en tout"), std::string::npos);
}

TEST_F(HardeningHttp, HeaderCodesInATitleDoNotCrashTheWorkbookWriter) {
    // Found by fuzz_render (ASan: double free in libxlsxwriter's worksheet_set_header_opt).
    std::string body = readFile(sourceDir() + "/examples/budget-annexe-sarthe-plateformes.json");
    auto at = body.find("\"titre\": \"");
    ASSERT_NE(at, std::string::npos);
    body.insert(at + 10, "A&[Picture] B&G C&&[Picture] ");
    HttpResult r = post("/v1/render/budget-annexe?format=xlsx", body);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    EXPECT_GT(r.body.size(), 1000u);
    EXPECT_EQ(httpRequest(server->port(), "GET", "/healthz").status, 200);
}
