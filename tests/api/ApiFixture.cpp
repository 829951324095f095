#include "api/ApiFixture.h"

#include <sstream>
#include <stdexcept>

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include "storage/ApiKeys.h"

namespace passerelle::testing {

Poco::JSON::Object::Ptr HttpResult::json() const {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string HttpResult::error() const {
    try {
        auto o = json();
        return o->has("error") ? o->getValue<std::string>("error") : "";
    } catch (...) {
        return "";
    }
}

HttpResult httpCall(unsigned short port, const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body, const std::string& contentType) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!key.empty()) req.set("Authorization", key.rfind("psl_", 0) == 0 ? "Bearer " + key : key);
    if (!body.empty() || method == "POST" || method == "PATCH") {
        req.setContentType(contentType);
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(req) << body;
    } else {
        session.sendRequest(req);
    }
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    HttpResult r;
    r.status = resp.getStatus();
    r.contentType = resp.getContentType();
    for (const auto& [k, v] : resp) r.headers[Poco::toLower(k)] = v;
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
}

ApiServer::ApiServer(std::shared_ptr<storage::Store> store) {
    auto renderer = std::make_shared<const service::RenderService>(repoCatalog());
    auto svc = std::make_shared<const service::DossierService>(std::move(store), renderer);
    auto router = std::make_shared<http::Router>();
    http::addRenderRoutes(*router, renderer);
    http::addApiRoutes(*router, svc);
    http::ServerConfig config;
    config.port = 0;
    _server = std::make_unique<http::Server>(config, router);
    _server->start();
}

ApiServer::~ApiServer() { _server->stop(); }

std::string createOrgWithKey(storage::Store& store, const std::string& name, const std::string& kind,
                             std::string* organisationId) {
    auto org = store.createOrganisation(name, kind);
    if (!org.isOk()) throw std::runtime_error(org.status().toString());
    auto g = storage::generateApiKey();
    auto key = store.createApiKey(org.value().id, "Testeur " + name, g.prefix, g.hash);
    if (!key.isOk()) throw std::runtime_error(key.status().toString());
    if (organisationId) *organisationId = org.value().id;
    return g.secret;
}

std::string exampleJson(const std::string& file) { return readFile(sourceDir() + "/examples/" + file); }

std::string documentBody(const std::string& form, const std::string& dossierId, const std::string& actionId,
                         const std::string& exampleFile) {
    std::string b = "{\"form\":\"" + form + "\",";
    if (!dossierId.empty()) b += "\"dossier\":\"" + dossierId + "\",";
    if (!actionId.empty()) b += "\"action\":\"" + actionId + "\",";
    return b + "\"data\":" + exampleJson(exampleFile) + "}";
}

} // namespace passerelle::testing
