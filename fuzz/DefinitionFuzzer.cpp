// Loading form and template definitions: bytes -> JSON -> parseFormDef, or (when the
// object has "blocks") parseTemplate + checkTemplate against the form it names. A
// definition that loads must not fail later: a loaded form validates its own empty
// document without an exception; a template that passes its checks composes and
// renders the form's example without an exception or an Internal error.
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include "FuzzCommon.h"
#include "forms/FormRegistry.h"
#include "forms/Validator.h"
#include "layout/Layout.h"
#include "pdf/PdfRenderer.h"
#include "templates/Template.h"

using namespace passerelle;

namespace {

Poco::JSON::Object::Ptr example(const std::string& form) {
    static std::map<std::string, Poco::JSON::Object::Ptr> cache;
    auto it = cache.find(form);
    if (it != cache.end()) return it->second;
    Poco::JSON::Object::Ptr data;
    for (const char* name : {"-association-vers-bailleur.json", "-cotes-darmor-initiale.json", "-amli-acces.json",
                             "-amli-maintien.json", "-sarthe-plateformes.json", "-ille-et-vilaine-2016.json",
                             "-grille-cotes-darmor.json", "-benali.json"}) {
        std::string prefix = form == "grille-capacite-habiter" ? "grille-capacite-habiter" : form == "activite" ? "activite" : form;
        std::ifstream in(fuzz::sourceDir() + "/examples/" + prefix + name);
        if (!in) continue;
        std::stringstream buf;
        buf << in.rdbuf();
        auto json = forms::parseJsonObject(buf.str());
        if (json.isOk()) { data = json.value(); break; }
    }
    return cache[form] = data;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    if (size > 512 * 1024) return 0;
    try {
        auto json = forms::parseJsonObject(std::string(reinterpret_cast<const char*>(bytes), size));
        if (!json.isOk()) return 0;
        if (!json.value()->has("blocks")) {
            auto def = forms::parseFormDef(json.value());
            if (!def.isOk()) return 0;
            Poco::JSON::Object::Ptr empty = new Poco::JSON::Object;
            (void)forms::validate(*def.value(), empty);
            (void)forms::formDefToJson(*def.value());
            return 0;
        }
        auto t = templates::parseTemplate(json.value());
        if (!t.isOk()) return 0;
        auto form = fuzz::catalog().forms->find(t.value()->form);
        if (!form) return 0;
        if (!templates::checkTemplate(*t.value(), *form).empty()) return 0;
        (void)templates::uncoveredFields(*t.value(), *form);
        auto data = example(form->id);
        if (!data) return 0;
        auto filled = forms::fill(form, data);
        if (!filled.isOk()) return 0;
        templates::ComposeOptions co{"doc_fuzz", "22/11/2026", {}, {}};
        auto composed = templates::compose(*t.value(), filled.value(), co);
        pdf::PdfOptions po;
        po.fontsDir = fuzz::sourceDir() + "/fonts";
        auto pdf = pdf::render(composed.blocks, composed.setup, po);
        if (!pdf.isOk() && pdf.status().code() == Status::Code::Internal)
            fuzz::finding("a template that loads fails at render: " + pdf.status().toString());
    } catch (const std::exception& e) {
        fuzz::finding(std::string("exception: ") + e.what());
    }
    return 0;
}
