#pragma once
// Views: the page templates of the web application, loaded once from a
// directory (web/views/ by default) and rendered with Mustache (mstch).
//
// A view's name is its path under the directory without ".mustache"
// ("layout", "dossiers", "fields/text"); every view is also a partial under
// that same name ({{> fields/text}}). {{x}} is HTML-escaped; views never use
// triple mustaches except the layout's {{{content}}}, which holds the page
// body rendered by another view (never user text).
//
// Immutable after load(): share one instance between threads.
#include <map>
#include <memory>
#include <string>

#include <mstch/mstch.hpp>

#include "common/Status.h"

namespace passerelle::web {

class Views {
public:
    // Reads every *.mustache file under `directory` (recursively).
    // NotFound when the directory has no "layout" view.
    static Result<std::shared_ptr<const Views>> load(const std::string& directory);
    // From memory (tests): name → template text.
    explicit Views(std::map<std::string, std::string> templates);

    bool has(const std::string& name) const { return _templates.count(name) > 0; }
    // Renders view `name`; an unknown name renders an empty string.
    std::string render(const std::string& name, const mstch::node& context) const;
    const std::string& directory() const { return _directory; }

private:
    void indexPartials();
    std::map<std::string, std::string> _templates;
    // For each view, the partials it uses, directly or through other partials: mstch parses
    // every partial it is given at each render, so each render gets only those.
    std::map<std::string, std::map<std::string, std::string>> _partialsOf;
    std::string _directory;
};

} // namespace passerelle::web
