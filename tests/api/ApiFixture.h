#pragma once
// A real HTTP server in-process (port 0) with the render and stored-API
// routes over a PocoStore on the test database (SQLite, or PostgreSQL when
// PASSERELLE_TEST_PG is set); requests with httpCall() (support/HttpClient.h).
#include <memory>
#include <string>

#include "http/ApiRoutes.h"
#include "http/HttpServer.h"
#include "service/DossierService.h"
#include "storage/StoreBackends.h"
#include "support/HttpClient.h"

namespace passerelle::testing {

// A server over `store`, stopped by the destructor.
class ApiServer {
public:
    explicit ApiServer(std::shared_ptr<storage::Store> store);
    ~ApiServer();
    unsigned short port() const { return _server->port(); }
    HttpResult call(const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body = "") const {
        return httpCall(port(), method, path, key, body);
    }
    void stop() { _server->stop(); }

private:
    std::unique_ptr<http::Server> _server;
};

// Creates an organisation and one key for it; returns the secret.
std::string createOrgWithKey(storage::Store& store, const std::string& name, const std::string& kind,
                             std::string* organisationId = nullptr);

// JSON text of the example file under examples/.
std::string exampleJson(const std::string& file);
// {"form": …, "dossier"/"action": …, "data": <example>}
std::string documentBody(const std::string& form, const std::string& dossierId, const std::string& actionId,
                         const std::string& exampleFile);

} // namespace passerelle::testing
