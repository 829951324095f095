#include "forms/FormRegistry.h"

#include <fstream>
#include <sstream>

#include <Poco/DirectoryIterator.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>

namespace passerelle::forms {

namespace {

// Poco 1.11 reads an integer literal of 20 digits or more through a 64-bit parser that can wrap
// around without an error (18446744073709551616 reads as 0): the value would be silently
// replaced. Such literals are rewritten as floating-point ("…e0"), which keeps their magnitude,
// so the validator refuses them with the field's path (out of bounds, or not an integer).
std::string widenHugeIntegers(const std::string& text) {
    constexpr std::size_t kMaxSafeDigits = 19;
    std::string out;
    bool inString = false;
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (inString) {
            out.push_back(c);
            if (c == '\\' && i + 1 < text.size()) out.push_back(text[++i]);
            else if (c == '"') inString = false;
            ++i;
        } else if (c == '"') {
            inString = true;
            out.push_back(c);
            ++i;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            // A whole number token: -?digits(.digits)?([eE][+-]?digits)?
            auto digits = [&] { std::size_t n = 0; while (i < text.size() && text[i] >= '0' && text[i] <= '9') { ++i; ++n; } return n; };
            std::size_t start = i;
            if (c == '-') ++i;
            std::size_t intDigits = digits();
            bool integer = true;
            if (i < text.size() && text[i] == '.') { ++i; digits(); integer = false; }
            if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
                ++i;
                if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
                digits();
                integer = false;
            }
            out.append(text, start, i - start);
            if (integer && intDigits > kMaxSafeDigits) out += "e0";
        } else {
            out.push_back(c);
            ++i;
        }
    }
    return out;
}

} // namespace

Result<Poco::JSON::Object::Ptr> parseJsonObject(const std::string& text) {
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var v = parser.parse(widenHugeIntegers(text));
        if (v.type() != typeid(Poco::JSON::Object::Ptr))
            return Status::invalidArgument("json_not_object", "Le corps doit être un objet JSON ({ … }).");
        return v.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        return Status::invalidArgument("json_invalid", "JSON invalide : " + e.message());
    } catch (const std::exception& e) {
        return Status::invalidArgument("json_invalid", std::string("JSON invalide : ") + e.what());
    }
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
            auto def = parseFormDef(json.value());
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
