#pragma once
// Every response a test receives from a /v1 path is checked against docs/openapi.json
// (support/HttpClient.cpp calls checkResponseAgainstOpenApi after each request): the
// operation's response for the status (or "default"), its media type, and for JSON its
// schema (support/JsonSchema.h). A violation is a test failure (ADD_FAILURE). Paths or
// methods the description does not have are left to the coverage test (tests/openapi).
// PASSERELLE_OPENAPI_CHECK=0 turns it off.
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

namespace passerelle::testing {

struct OpenApiOperation {
    std::string path;                 // the described path ("/v1/documents/{id}")
    Poco::JSON::Object::Ptr operation; // null when the path has no such method
};

// The loaded description (PASSERELLE_SOURCE_DIR/docs/openapi.json); null when absent.
Poco::JSON::Object::Ptr openApiDocument();

// The described operation for a concrete path ("/v1/documents/doc_1/pdf?revision=2"): literal
// segments are preferred over parameters. path empty when nothing matches.
OpenApiOperation findOperation(const Poco::JSON::Object::Ptr& doc, const std::string& method, const std::string& uri);

// The problems of one response; empty when it conforms, or when the operation is not described.
std::vector<std::string> responseProblems(const std::string& method, const std::string& uri, int status,
                                          const std::string& contentType, const std::string& body);

// Checks, counts and reports (ADD_FAILURE) one response.
void checkResponseAgainstOpenApi(const std::string& method, const std::string& uri, int status, const std::string& contentType,
                                 const std::string& body);

// Responses checked so far in this process (tests assert the check really ran).
int openApiCheckedResponses();

} // namespace passerelle::testing
