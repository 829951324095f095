#include "support/HttpClient.h"

#include "support/OpenApiCheck.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

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

std::string HttpResult::header(const std::string& name) const {
    auto it = headers.find(Poco::toLower(name));
    return it == headers.end() ? "" : it->second;
}

HttpResult httpRequest(unsigned short port, const std::string& method, const std::string& uri,
                       const std::string& body, const std::string& contentType, const HttpOptions& options) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(options.timeoutSeconds, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : options.headers) req.set(name, value);
    const bool withBody = !body.empty() || method == "POST" || method == "PATCH";
    if (withBody) {
        if (!contentType.empty()) req.setContentType(contentType);
        if (options.chunked) req.setChunkedTransferEncoding(true);
        else req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    try {
        std::ostream& os = session.sendRequest(req);
        if (withBody) os << body;
    } catch (const Poco::Exception&) {
        if (!options.ignoreSendErrors) throw;
    }
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    HttpResult r;
    r.status = resp.getStatus();
    r.contentType = resp.getContentType();
    for (const auto& [k, v] : resp) r.headers[Poco::toLower(k)] = v;
    Poco::StreamCopier::copyToString(in, r.body);
    checkResponseAgainstOpenApi(method, uri, r.status, r.contentType, r.body);
    return r;
}

HttpResult httpCall(unsigned short port, const std::string& method, const std::string& path, const std::string& key,
                    const std::string& body, const std::string& contentType) {
    HttpOptions options;
    if (!key.empty()) options.headers["Authorization"] = key.rfind("psl_", 0) == 0 ? "Bearer " + key : key;
    return httpRequest(port, method, path, body, contentType, options);
}

} // namespace passerelle::testing
