#pragma once
// Small helpers shared by the route files (ApiRoutes, ConsentRoutes): JSON
// building, query and body parameters, and the usual replies. Stateless;
// safe to call from any thread.
#include <cstdint>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "http/HttpServer.h"
#include "storage/Store.h"

namespace passerelle::http {

using JObject = Poco::JSON::Object;
using JArray = Poco::JSON::Array;

// An empty object whose keys keep their insertion order.
JObject::Ptr jsonObject();

// Stored JSON text back to a value (the store only holds what the service
// validated); an empty Var when the text does not parse.
Poco::Dynamic::Var parsedJson(const std::string& text);

JArray::Ptr jsonArray(const std::vector<std::string>& values);

// Maps each item with `toJson` into a new array.
template <typename Items, typename ToJson>
JArray::Ptr jsonArrayOf(const Items& items, ToJson&& toJson) {
    JArray::Ptr a = new JArray;
    for (const auto& i : items) a->add(toJson(i));
    return a;
}

// {"<name>": [...], "total", "limit", "offset"}: one page of a list.
template <typename T, typename ToJson>
JObject::Ptr pageToJson(const char* name, const storage::Page<T>& page, int limit, int offset, ToJson&& toJson) {
    auto o = jsonObject();
    o->set(name, jsonArrayOf(page.items, toJson));
    o->set("total", page.total);
    o->set("limit", limit);
    o->set("offset", offset);
    return o;
}

// {"format", "contentType", "sha256", "size", "href"} of a stored artefact.
JObject::Ptr artefactToJson(const storage::Artefact& a, const std::string& href);

// Integer query parameter within [min, max]; `fallback` when absent;
// InvalidArgument "bad_query" otherwise.
Result<int> intParam(const Request& r, const std::string& name, int fallback, int min, int max);

// The "limit" (1..500, default 50) and "offset" (default 0) query parameters.
struct PageParams {
    int limit = 50;
    int offset = 0;
};
Result<PageParams> pageParams(const Request& r);

// Query parameter; "" when absent.
std::string strParam(const Request& r, const std::string& name);

// Whether a Content-Type names JSON exactly: "application/json", any case, optionally
// followed by parameters ("; charset=utf-8"). "application/jsonx" is not JSON.
bool isJsonMediaType(const std::string& contentType);

// The request body as a JSON object (forms::parseJsonObject: a French message with the
// position), after checking its Content-Type exactly (415 otherwise).
Result<JObject::Ptr> jsonRequestBody(const Request& r);

// String member of a JSON body; "" when absent or not a string.
std::string optString(const JObject::Ptr& o, const std::string& key);

// 201 with the object and a Location header.
Reply created(const JObject::Ptr& body, const std::string& location);

// 200 with raw bytes sent as a download named `filename`.
Reply attachment(const std::string& contentType, std::string bytes, const std::string& filename);

} // namespace passerelle::http
