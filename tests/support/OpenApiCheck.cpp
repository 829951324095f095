#include "support/OpenApiCheck.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <gtest/gtest.h>

#include "support/JsonSchema.h"

namespace passerelle::testing {

namespace {

using Poco::JSON::Object;

std::atomic<int> g_checked{0};

std::vector<std::string> segments(const std::string& path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') { ++i; continue; }
        std::size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

} // namespace

Object::Ptr openApiDocument() {
    static Object::Ptr doc = []() -> Object::Ptr {
        std::ifstream in(std::string(PASSERELLE_SOURCE_DIR) + "/docs/openapi.json", std::ios::binary);
        if (!in) return nullptr;
        std::stringstream buf;
        buf << in.rdbuf();
        try {
            return Poco::JSON::Parser().parse(buf.str()).extract<Object::Ptr>();
        } catch (...) {
            return nullptr;
        }
    }();
    return doc;
}

OpenApiOperation findOperation(const Object::Ptr& doc, const std::string& method, const std::string& uri) {
    OpenApiOperation best;
    if (!doc) return best;
    const std::string path = uri.substr(0, uri.find('?'));
    const auto want = segments(path);
    int bestLiterals = -1;
    auto paths = doc->getObject("paths");
    for (const auto& [templ, item] : *paths) {
        auto have = segments(templ);
        if (have.size() != want.size()) continue;
        int literals = 0;
        bool ok = true;
        for (std::size_t i = 0; i < have.size() && ok; ++i) {
            const std::string& h = have[i];
            if (h.size() > 2 && h.front() == '{' && h.back() == '}') continue;
            if (h == want[i]) ++literals;
            else ok = false;
        }
        if (!ok || literals <= bestLiterals) continue;
        bestLiterals = literals;
        best.path = templ;
        best.operation = item.extract<Object::Ptr>()->getObject(Poco::toLower(method));
    }
    return best;
}

std::vector<std::string> responseProblems(const std::string& method, const std::string& uri, int status,
                                          const std::string& contentType, const std::string& body) {
    std::vector<std::string> problems;
    auto doc = openApiDocument();
    if (!doc || uri.rfind("/v1/", 0) != 0) return problems;
    auto found = findOperation(doc, method, uri);
    if (!found.operation) return problems; // not described: the coverage test's business
    ++g_checked;
    const std::string what = method + " " + found.path + " → " + std::to_string(status) + " : ";
    auto responses = found.operation->getObject("responses");
    Object::Ptr response = responses ? responses->getObject(std::to_string(status)) : nullptr;
    if (!response && responses) response = responses->getObject(std::string(1, char('0' + status / 100)) + "XX");
    if (!response && responses) response = responses->getObject("default");
    if (!response) {
        problems.push_back(what + "statut non décrit");
        return problems;
    }
    auto content = response->getObject("content");
    if (!content) {
        if (!body.empty()) problems.push_back(what + "corps non décrit (" + contentType + ")");
        return problems;
    }
    std::string media = Poco::toLower(Poco::trim(contentType.substr(0, contentType.find(';'))));
    if (!content->has(media)) {
        problems.push_back(what + "type de contenu « " + contentType + " » non décrit");
        return problems;
    }
    if (media != "application/json") return problems;
    Poco::Dynamic::Var value;
    try {
        value = Poco::JSON::Parser().parse(body);
    } catch (const Poco::Exception& e) {
        problems.push_back(what + "corps JSON illisible : " + e.displayText());
        return problems;
    }
    auto schema = content->getObject(media)->getObject("schema");
    JsonSchemaValidator validator(doc);
    for (const auto& e : validator.validate(value, schema)) problems.push_back(what + e);
    return problems;
}

void checkResponseAgainstOpenApi(const std::string& method, const std::string& uri, int status, const std::string& contentType,
                                 const std::string& body) {
    const char* off = std::getenv("PASSERELLE_OPENAPI_CHECK");
    if (off && std::string(off) == "0") return;
    for (const auto& p : responseProblems(method, uri, status, contentType, body))
        ADD_FAILURE() << "réponse non conforme à docs/openapi.json : " << p << "\n  corps : " << body.substr(0, 300);
}

int openApiCheckedResponses() { return g_checked.load(); }

} // namespace passerelle::testing
