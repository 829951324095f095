#include "http/JsonHelpers.h"

#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include "forms/FormRegistry.h"

namespace passerelle::http {

JObject::Ptr jsonObject() { return new JObject(Poco::JSON_PRESERVE_KEY_ORDER); }

Poco::Dynamic::Var parsedJson(const std::string& text) {
    try {
        return Poco::JSON::Parser().parse(text);
    } catch (const Poco::Exception&) {
        return Poco::Dynamic::Var();
    }
}

JArray::Ptr jsonArray(const std::vector<std::string>& values) {
    return jsonArrayOf(values, [](const std::string& v) { return v; });
}

JObject::Ptr artefactToJson(const storage::Artefact& a, const std::string& href) {
    auto x = jsonObject();
    x->set("format", a.format);
    x->set("contentType", a.contentType);
    x->set("sha256", a.sha256);
    x->set("size", a.size);
    x->set("href", href);
    return x;
}

Result<int> intParam(const Request& r, const std::string& name, int fallback, int min, int max) {
    auto it = r.query.find(name);
    if (it == r.query.end()) return fallback;
    int v = 0;
    if (!Poco::NumberParser::tryParse(it->second, v) || v < min || v > max)
        return Status::invalidArgument("bad_query", "Paramètre « " + name + " » invalide : entier entre " +
                                                        std::to_string(min) + " et " + std::to_string(max) + " attendu.");
    return v;
}

Result<PageParams> pageParams(const Request& r) {
    auto limit = intParam(r, "limit", 50, 1, 500);
    auto offset = intParam(r, "offset", 0, 0, 1000000000);
    if (!limit.isOk()) return limit.status();
    if (!offset.isOk()) return offset.status();
    return PageParams{limit.value(), offset.value()};
}

std::string strParam(const Request& r, const std::string& name) {
    auto it = r.query.find(name);
    return it == r.query.end() ? "" : it->second;
}

bool isJsonMediaType(const std::string& contentType) {
    std::string type = Poco::toLower(Poco::trim(contentType.substr(0, contentType.find(';'))));
    return type == "application/json";
}

Result<JObject::Ptr> jsonRequestBody(const Request& r) {
    auto ct = r.headers.find("content-type");
    if (!r.body.empty() && (ct == r.headers.end() || !isJsonMediaType(ct->second)))
        return Status::unsupportedMedia("unsupported_media_type", "Le corps doit être du JSON (Content-Type: application/json).");
    return forms::parseJsonObject(r.body);
}

std::string optString(const JObject::Ptr& o, const std::string& key) {
    return o->has(key) && o->get(key).isString() ? o->get(key).toString() : "";
}

Reply created(const JObject::Ptr& body, const std::string& location) {
    Reply rep = Reply::json(201, body);
    rep.headers["Location"] = location;
    return rep;
}

Reply attachment(const std::string& contentType, std::string bytes, const std::string& filename) {
    Reply rep;
    rep.status = 200;
    rep.contentType = contentType;
    rep.body = std::move(bytes);
    rep.headers["Content-Disposition"] = "attachment; filename=\"" + filename + "\"";
    return rep;
}

} // namespace passerelle::http
