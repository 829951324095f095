#pragma once
// A small HTTP client for the suites that talk to a real server (in-process on
// port 0, or a `passerelle serve` child): one request on a fresh connection.
#include <map>
#include <string>

#include <Poco/JSON/Object.h>

namespace passerelle::testing {

struct HttpResult {
    int status = 0;
    std::string body;
    std::string contentType;
    std::map<std::string, std::string> headers; // lower-case names
    Poco::JSON::Object::Ptr json() const;       // throws when the body is not a JSON object
    std::string error() const;                  // "error" of a JSON error body, "" otherwise
    std::string header(const std::string& name) const; // any case; "" when absent
};

struct HttpOptions {
    std::map<std::string, std::string> headers; // extra request headers
    long timeoutSeconds = 60;
    bool chunked = false;          // Transfer-Encoding: chunked instead of Content-Length
    bool ignoreSendErrors = false; // the server may answer (413) and close before reading the whole body
};

// `method` `uri` on 127.0.0.1:`port`. A body (with its Content-Type, unless empty, and
// length) is sent when `body` is not empty or the method is POST or PATCH.
HttpResult httpRequest(unsigned short port, const std::string& method, const std::string& uri,
                       const std::string& body = "", const std::string& contentType = "application/json",
                       const HttpOptions& options = {});

// The same with the API key `key` (empty: no Authorization header; "psl_…": as a Bearer token).
HttpResult httpCall(unsigned short port, const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body = "", const std::string& contentType = "application/json");

} // namespace passerelle::testing
