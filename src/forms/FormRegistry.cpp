#include "forms/FormRegistry.h"

#include "forms/Json.h"

#include <fstream>
#include <sstream>

#include <Poco/DirectoryIterator.h>
#include <Poco/Path.h>

namespace passerelle::forms {

Result<Poco::JSON::Object::Ptr> parseJsonObject(const std::string& text) {
    // The strict reader (forms/Json.h) gives the position of a fault; Poco's parser gives none.
    auto v = parseJson(text);
    if (!v.isOk()) return v.status();
    if (v.value().type() != typeid(Poco::JSON::Object::Ptr))
        return Status::invalidArgument("json_not_object", "Le corps doit être un objet JSON ({ … }).");
    return v.value().extract<Poco::JSON::Object::Ptr>();
}

Result<std::shared_ptr<FormRegistry>> FormRegistry::loadDirectory(const std::string& directory) {
    auto registry = std::make_shared<FormRegistry>();
    try {
        std::vector<std::string> files;
        for (Poco::DirectoryIterator it(directory), end; it != end; ++it) {
            if (it->isFile() && Poco::Path(it->path()).getExtension() == "json") files.push_back(it->path());
        }
        for (const auto& file : files) {
            std::ifstream in(file, std::ios::binary);
            std::stringstream buf;
            buf << in.rdbuf();
            auto json = parseJsonObject(buf.str());
            if (!json.isOk()) return Status::internal("form_file_invalid", file + " : " + json.status().message());
            Result<std::shared_ptr<const FormDef>> def = Status::internal("form_file_invalid", "");
            try {
                def = parseFormDef(json.value());
            } catch (const std::exception& e) {
                return Status::internal("form_file_invalid", file + " : définition illisible (" + e.what() + ")");
            }
            if (!def.isOk()) return Status::internal("form_file_invalid", file + " : " + def.status().toString());
            if (def.value()->id != Poco::Path(file).getBaseName())
                return Status::internal("form_file_invalid", file + " : l'identifiant doit être le nom du fichier.");
            registry->add(def.value());
        }
    } catch (const Poco::Exception& e) {
        return Status::internal("forms_directory", "Répertoire des formulaires illisible : " + directory + " (" + e.displayText() + ")");
    }
    return registry;
}

std::shared_ptr<const FormDef> FormRegistry::find(const std::string& id) const {
    auto it = _forms.find(id);
    return it == _forms.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const FormDef>> FormRegistry::all() const {
    std::vector<std::shared_ptr<const FormDef>> out;
    for (const auto& [id, def] : _forms) out.push_back(def);
    return out;
}

} // namespace passerelle::forms
