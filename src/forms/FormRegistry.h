#pragma once
// FormRegistry: every form definition of a forms/ directory, loaded once at
// start-up. Lookups are by id in memory only, so an unknown or malicious form
// name never reaches the file system. Immutable after loading; thread-safe.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/Status.h"
#include "forms/FormDef.h"

namespace passerelle::forms {

class FormRegistry {
public:
    // Loads every "<id>.json" of `directory`; the id inside must equal the file name.
    static Result<std::shared_ptr<FormRegistry>> loadDirectory(const std::string& directory);
    void add(std::shared_ptr<const FormDef> def) { _forms[def->id] = std::move(def); }

    std::shared_ptr<const FormDef> find(const std::string& id) const;
    std::vector<std::shared_ptr<const FormDef>> all() const;

private:
    std::map<std::string, std::shared_ptr<const FormDef>> _forms;
};

// Parses JSON text into an object; a French error when the text is not a JSON object.
Result<Poco::JSON::Object::Ptr> parseJsonObject(const std::string& text);

} // namespace passerelle::forms
