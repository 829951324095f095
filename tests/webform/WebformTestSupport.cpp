#include "webform/WebformTestSupport.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/Path.h>

#include "support/TestSupport.h"

namespace passerelle::testing {

namespace {
void loadDir(const std::string& dir, const std::string& prefix, std::map<std::string, std::string>& out) {
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
        Poco::Path p(it->path());
        if (it->isDirectory()) loadDir(it->path(), prefix + p.getFileName() + "/", out);
        else if (p.getExtension() == "mustache") out[prefix + p.getBaseName()] = readFile(it->path());
    }
}

void walk(const Poco::Dynamic::Var& v, const std::string& pointer, web::PostedPairs& out) {
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        auto obj = v.extract<Poco::JSON::Object::Ptr>();
        for (const auto& name : obj->getNames()) walk(obj->get(name), pointer + "/" + name, out);
    } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto arr = v.extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; i < arr->size(); ++i) {
            Poco::Dynamic::Var item = arr->get(i);
            if (item.type() == typeid(Poco::JSON::Object::Ptr)) walk(item, pointer + "/" + std::to_string(i), out);
            else out.emplace_back(pointer, item.toString()); // a multiple choice: one pair per option
        }
    } else if (v.isBoolean()) {
        out.emplace_back(pointer, v.convert<bool>() ? "true" : "false");
    } else if (!v.isEmpty()) {
        out.emplace_back(pointer, v.toString());
    }
}
} // namespace

const std::map<std::string, std::string>& repoViews() {
    static const std::map<std::string, std::string> views = [] {
        std::map<std::string, std::string> out;
        loadDir(sourceDir() + "/web/views", "", out);
        return out;
    }();
    return views;
}

std::string renderFormHtml(const web::FormPage& page) {
    const auto& views = repoViews();
    std::string html = mstch::render("{{> fields/error-summary}}{{#fields}}{{> fields/field}}{{/fields}}", page.context, views);
    // mstch escapes "/" as "&#x2F;", which a browser reads as "/": read it back for the assertions.
    std::string out;
    for (std::size_t pos = 0;;) {
        std::size_t at = html.find("&#x2F;", pos);
        out += html.substr(pos, at == std::string::npos ? std::string::npos : at - pos);
        if (at == std::string::npos) break;
        out += "/";
        pos = at + 6;
    }
    return out;
}

web::PostedPairs pairsOf(const Poco::JSON::Object::Ptr& data) {
    web::PostedPairs out;
    walk(data, "", out);
    return out;
}

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + needle.size())) ++n;
    return n;
}

} // namespace passerelle::testing
