// HTTP adapter against a real server started in-process on a free port.
#include <gtest/gtest.h>

#include <Poco/JSON/Parser.h>

#include "http/HttpServer.h"
#include "support/HttpClient.h"
#include "support/RenderServer.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

using Response = HttpResult;

class RenderHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        http::ServerConfig config;
        config.maxBodyBytes = 256 * 1024;
        server = startRenderServer(config).release();
    }
    static void TearDownTestSuite() {
        delete server;
        server = nullptr;
    }

    Response request(const std::string& method, const std::string& uri, const std::string& body = "",
                     const std::string& contentType = "application/json", bool chunked = false) {
        HttpOptions options;
        options.timeoutSeconds = 30;
        options.chunked = chunked;
        options.ignoreSendErrors = true; // the server may answer 413 and close before reading the whole body
        return httpRequest(server->port(), method, uri, body, contentType, options);
    }

    void expectAlive() {
        Response r = request("GET", "/healthz");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.json()->getValue<std::string>("status"), "ok");
    }

    static std::string example(const std::string& name) { return readFile(sourceDir() + "/examples/" + name); }
    static http::Server* server;
};

http::Server* RenderHttp::server = nullptr;

} // namespace

TEST_F(RenderHttp, HealthAndFormsCatalog) {
    expectAlive();
    Response r = request("GET", "/v1/forms");
    ASSERT_EQ(r.status, 200);
    auto forms = r.json()->getArray("forms");
    bool found = false;
    for (unsigned i = 0; i < forms->size(); ++i) {
        auto f = forms->getObject(i);
        if (f->getValue<std::string>("id") != "fiche-navette") continue;
        found = true;
        EXPECT_EQ(f->getValue<std::string>("version"), "1.0.0");
        EXPECT_EQ(f->getArray("variants")->getObject(0)->getValue<std::string>("name"), "standard");
        auto fields = f->getArray("fields");
        ASSERT_GT(fields->size(), 5u);
        EXPECT_EQ(fields->getObject(0)->getValue<std::string>("type"), "date");
        EXPECT_TRUE(fields->getObject(0)->has("category"));
        EXPECT_TRUE(fields->getObject(0)->has("housing"));
    }
    EXPECT_TRUE(found);
    Response one = request("GET", "/v1/forms/fiche-navette");
    EXPECT_EQ(one.status, 200);
    EXPECT_EQ(one.json()->getValue<std::string>("title"), "Fiche navette");
}

TEST_F(RenderHttp, RendersAPdfWithContentTypeAndFileName) {
    Response r = request("POST", "/v1/render/fiche-navette?format=pdf", example("fiche-navette-association-vers-bailleur.json"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.contentType, "application/pdf");
    EXPECT_EQ(r.header("Content-Disposition").rfind("attachment; filename=\"fiche-navette-FN-", 0), 0u) << r.header("Content-Disposition");
    EXPECT_NE(r.header("Content-Disposition").find(".pdf\""), std::string::npos);
    EXPECT_TRUE(qpdfCheck(r.body));
    EXPECT_NE(pdfToText(r.body).find("Samira"), std::string::npos);

    Response v = request("POST", "/v1/render/fiche-navette?variant=standard", example("fiche-navette-alerte-bailleur.json"));
    ASSERT_EQ(v.status, 200);
    EXPECT_NE(pdfToText(v.body).find("Łukasz"), std::string::npos);
}

TEST_F(RenderHttp, InvalidJsonIs400) {
    Response r = request("POST", "/v1/render/fiche-navette", "{\"date\": ");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()->getValue<std::string>("error"), "json_invalid");
    Response arr = request("POST", "/v1/render/fiche-navette", "[1, 2]");
    EXPECT_EQ(arr.status, 400);
    EXPECT_EQ(arr.json()->getValue<std::string>("error"), "json_not_object");
    expectAlive();
}

TEST_F(RenderHttp, InvalidFieldsAre400WithEveryPath) {
    std::string body = example("fiche-navette-association-vers-bailleur.json");
    Poco::JSON::Parser p;
    auto data = p.parse(body).extract<Poco::JSON::Object::Ptr>();
    data->remove("date");
    data->getObject("menage")->set("composition", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    data->set("champInconnu", "x");
    std::ostringstream out;
    data->stringify(out);
    Response r = request("POST", "/v1/render/fiche-navette", out.str());
    ASSERT_EQ(r.status, 400);
    auto json = r.json();
    EXPECT_EQ(json->getValue<std::string>("error"), "validation_failed");
    EXPECT_FALSE(json->getValue<std::string>("message").empty());
    auto details = json->getArray("details");
    std::set<std::string> paths;
    for (unsigned i = 0; i < details->size(); ++i) {
        auto d = details->getObject(i);
        paths.insert(d->getValue<std::string>("path"));
        EXPECT_FALSE(d->getValue<std::string>("message").empty());
        EXPECT_FALSE(d->getValue<std::string>("rule").empty());
    }
    EXPECT_TRUE(paths.count("/date"));
    EXPECT_TRUE(paths.count("/menage/composition"));
    EXPECT_TRUE(paths.count("/champInconnu"));
    expectAlive();
}

TEST_F(RenderHttp, UnknownFormOrVariantIs404) {
    Response r = request("POST", "/v1/render/bon-de-commande", "{}");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json()->getValue<std::string>("error"), "form_not_found");
    Response trav = request("POST", "/v1/render/..%2F..%2Fetc%2Fpasswd", "{}");
    EXPECT_EQ(trav.status, 404);
    Response v = request("POST", "/v1/render/fiche-navette?variant=bretagne", example("fiche-navette-association-vers-bailleur.json"));
    EXPECT_EQ(v.status, 404);
    EXPECT_EQ(v.json()->getValue<std::string>("error"), "variant_not_found");
    Response f = request("POST", "/v1/render/fiche-navette?format=docx", example("fiche-navette-association-vers-bailleur.json"));
    EXPECT_EQ(f.status, 404);
    EXPECT_EQ(f.json()->getValue<std::string>("error"), "format_unsupported");
    Response path = request("GET", "/v1/nulle-part");
    EXPECT_EQ(path.status, 404);
    expectAlive();
}

TEST_F(RenderHttp, BodyOverTheLimitIs413) {
    std::string big = "{\"observations\": \"" + std::string(300 * 1024, 'a') + "\"}";
    Response r = request("POST", "/v1/render/fiche-navette", big);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.json()->getValue<std::string>("error"), "payload_too_large");
    Response chunked = request("POST", "/v1/render/fiche-navette", big, "application/json", /*chunked=*/true);
    EXPECT_EQ(chunked.status, 413);
    expectAlive();
}

TEST_F(RenderHttp, NotJsonIs415) {
    Response r = request("POST", "/v1/render/fiche-navette", "date=2026-11-22", "application/x-www-form-urlencoded");
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(r.json()->getValue<std::string>("error"), "unsupported_media_type");
    Response charset = request("POST", "/v1/render/fiche-navette", example("fiche-navette-association-vers-bailleur.json"),
                               "application/json; charset=utf-8");
    EXPECT_EQ(charset.status, 200);
    expectAlive();
}

TEST_F(RenderHttp, ValidateEndpointListsErrors) {
    Response ok = request("POST", "/v1/validate/fiche-navette", example("fiche-navette-alerte-bailleur.json"));
    EXPECT_EQ(ok.status, 200);
    EXPECT_TRUE(ok.json()->getValue<bool>("valid"));
    Response bad = request("POST", "/v1/validate/fiche-navette", "{}");
    EXPECT_EQ(bad.status, 400);
    EXPECT_GE(bad.json()->getArray("details")->size(), 5u);
}

TEST_F(RenderHttp, GarbageNeverTakesTheServiceDown) {
    const char* bodies[] = {"", "null", "\"texte\"", "{\"date\": \"\xff\xfe\"}", "{\"menage\": {\"composition\": [null, 1, \"x\"]}}",
                            "{\"actions\": [{\"action\": {\"a\": [[[[]]]]}}]}", "{{{{", "{\"date\": 1e999}"};
    for (const char* b : bodies) {
        Response r = request("POST", "/v1/render/fiche-navette", b);
        EXPECT_EQ(r.status, 400) << b << " -> " << r.body;
    }
    expectAlive();
}

TEST_F(RenderHttp, EmptyBodyNeedsNoContentTypeButIsNotADocument) {
    // Action endpoints (a withdrawal) take no body; a render without one is a 400, not a 415.
    Response r = request("POST", "/v1/render/fiche-navette", "", "");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()->getValue<std::string>("error"), "json_invalid");
    Response typed = request("POST", "/v1/render/fiche-navette", "date=1", "text/plain");
    EXPECT_EQ(typed.status, 415);
    expectAlive();
}
