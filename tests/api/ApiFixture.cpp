#include "api/ApiFixture.h"

#include <stdexcept>

#include "storage/ApiKeys.h"

namespace passerelle::testing {

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
