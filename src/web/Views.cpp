#include "web/Views.h"

#include <fstream>
#include <set>
#include <vector>
#include <sstream>

#include <Poco/DirectoryIterator.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>

namespace passerelle::web {

namespace {

void collect(const Poco::Path& dir, const std::string& prefix, std::map<std::string, std::string>& out) {
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
        const std::string name = it.name();
        if (name.empty() || name[0] == '.') continue;
        if (it->isDirectory()) {
            collect(it.path(), prefix + name + "/", out);
            continue;
        }
        const std::string ext = ".mustache";
        if (name.size() <= ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext) != 0) continue;
        std::ifstream in(it.path().toString(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        out[prefix + name.substr(0, name.size() - ext.size())] = text.str();
    }
}

} // namespace

Views::Views(std::map<std::string, std::string> templates) : _templates(std::move(templates)) { indexPartials(); }

void Views::indexPartials() {
    // The names after "{{>" in a template (Mustache allows blanks around the name).
    auto direct = [](const std::string& text) {
        std::set<std::string> names;
        for (std::size_t at = text.find("{{>"); at != std::string::npos; at = text.find("{{>", at + 3)) {
            std::size_t end = text.find("}}", at);
            if (end == std::string::npos) break;
            std::string name = text.substr(at + 3, end - at - 3);
            name.erase(0, name.find_first_not_of(" \t"));
            name.erase(name.find_last_not_of(" \t") + 1);
            names.insert(name);
        }
        return names;
    };
    for (const auto& [name, text] : _templates) {
        std::set<std::string> seen;
        std::vector<std::string> todo(1, name);
        while (!todo.empty()) {
            std::string next = todo.back();
            todo.pop_back();
            auto it = _templates.find(next);
            if (it == _templates.end()) continue;
            for (const auto& p : direct(it->second))
                if (seen.insert(p).second) todo.push_back(p);
        }
        auto& partials = _partialsOf[name];
        for (const auto& p : seen) {
            auto it = _templates.find(p);
            if (it != _templates.end()) partials[p] = it->second;
        }
    }
}

Result<std::shared_ptr<const Views>> Views::load(const std::string& directory) {
    std::map<std::string, std::string> all;
    try {
        Poco::Path root(directory);
        root.makeDirectory();
        Poco::File f(root);
        if (!f.exists() || !f.isDirectory())
            return Status::notFound("views_not_found", "Répertoire des pages introuvable : " + directory);
        collect(root, "", all);
    } catch (const Poco::Exception& e) {
        return Status::internal("views_unreadable", "Lecture des pages impossible (" + directory + ") : " + e.displayText());
    }
    if (!all.count("layout"))
        return Status::notFound("views_not_found", "Gabarit « layout.mustache » absent de " + directory);
    auto v = std::make_shared<Views>(std::move(all));
    v->_directory = directory;
    return std::shared_ptr<const Views>(v);
}

std::string Views::render(const std::string& name, const mstch::node& context) const {
    auto it = _templates.find(name);
    if (it == _templates.end()) return {};
    return mstch::render(it->second, context, _partialsOf.at(name));
}

} // namespace passerelle::web
