#include "service/RenderService.h"

#include <sstream>

#include <Poco/DateTime.h>
#include <Poco/DigestEngine.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/LocalDateTime.h>
#include <Poco/SHA2Engine.h>

#include "common/Text.h"
#include "pdf/GlyphCoverage.h"
#include "pdf/PdfRenderer.h"
#include "xlsx/XlsxRenderer.h"

namespace passerelle::service {

Result<Catalog> Catalog::load(const std::string& formsDir, const std::string& templatesDir, const std::string& fontsDir) {
    auto forms = forms::FormRegistry::loadDirectory(formsDir);
    if (!forms.isOk()) return forms.status();
    auto templates = templates::TemplateRegistry::loadDirectory(templatesDir, *forms.value());
    if (!templates.isOk()) return templates.status();
    // Every variant a form declares must have its template.
    for (const auto& def : forms.value()->all()) {
        if (!def->supportsFormat("pdf")) continue;
        for (const auto& v : def->variants)
            if (!templates.value()->find(def->id, v.name))
                return Status::internal("template_missing", "Modèle manquant : " + templatesDir + "/" + def->id + "." + v.name + ".json");
    }
    try {
        if (!Poco::File(fontsDir + "/LiberationSans-Regular.ttf").exists())
            return Status::internal("font_missing", "Police manquante : " + fontsDir + "/LiberationSans-Regular.ttf");
    } catch (const Poco::Exception& e) {
        return Status::internal("font_missing", "Répertoire des polices illisible : " + fontsDir);
    }
    return Catalog{forms.value(), templates.value(), fontsDir};
}

std::string todayFrench() {
    Poco::LocalDateTime now;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", now.day(), now.month(), now.year());
    return buf;
}

std::string contentDocumentId(const std::string& form, const Poco::JSON::Object::Ptr& data) {
    return contentDocumentId(form, "", data);
}

std::string contentDocumentId(const std::string& form, const std::string& variant, const Poco::JSON::Object::Ptr& data) {
    std::ostringstream out;
    out << form << '\n';
    if (!variant.empty()) out << "variant:" << variant << '\n';
    Poco::JSON::Stringifier::stringify(data, out);
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(out.str());
    std::string hex = Poco::DigestEngine::digestToHex(sha.digest());
    std::string prefix;
    std::size_t start = 0;
    while (start < form.size()) {
        prefix.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(form[start]))));
        std::size_t dash = form.find('-', start);
        if (dash == std::string::npos) break;
        start = dash + 1;
    }
    return prefix + "-" + hex.substr(0, 10);
}

namespace {

// Removes dotted paths (through every row of tables) from a JSON copy.
void stripPath(Poco::JSON::Object::Ptr obj, const std::string& path) {
    if (!obj) return;
    std::size_t dot = path.find('.');
    std::string head = path.substr(0, dot);
    if (dot == std::string::npos) { obj->remove(head); return; }
    if (!obj->has(head)) return;
    Poco::Dynamic::Var v = obj->get(head);
    std::string rest = path.substr(dot + 1);
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) stripPath(v.extract<Poco::JSON::Object::Ptr>(), rest);
    else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto arr = v.extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; i < arr->size(); ++i) stripPath(arr->getObject(i), rest);
    }
}

// The identifier of a recipient copy must not depend on what was left out of it.
std::string redactedDocumentId(const std::string& form, const std::string& variant, const Poco::JSON::Object::Ptr& data,
                               const std::set<std::string>& redacted) {
    auto copy = forms::deepCopy(data);
    for (const auto& p : redacted) stripPath(copy, p);
    return contentDocumentId(form, variant, copy);
}


std::string codePointName(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

// Every text value the PDF fonts cannot draw, by JSON pointer: the document would otherwise
// show nothing where the character was (libharu draws an empty .notdef glyph).
void findUndrawable(const Poco::Dynamic::Var& v, const std::string& path, const std::string& fontsDir,
                    std::vector<FieldError>& errors) {
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        auto obj = v.extract<Poco::JSON::Object::Ptr>();
        for (const auto& key : obj->getNames()) findUndrawable(obj->get(key), path + "/" + forms::pointerSegment(key), fontsDir, errors);
    } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto arr = v.extract<Poco::JSON::Array::Ptr>();
        for (unsigned i = 0; i < arr->size(); ++i) findUndrawable(arr->get(i), path + "/" + std::to_string(i), fontsDir, errors);
    } else if (v.isString()) {
        const std::string& s = v.extract<std::string>();
        auto cp = pdf::firstUndrawable(s, fontsDir);
        if (!cp) return;
        bool control = *cp < 0x20 || (*cp >= 0x7F && *cp < 0xA0);
        errors.push_back({path, "unsupported_character",
                          "Caractère impossible à imprimer dans le PDF : " +
                              (control ? std::string("caractère de contrôle") : "« " + text::encode(*cp) + " »") + " (" +
                              codePointName(*cp) + "). Retirez-le ou remplacez-le."});
    }
}

} // namespace

Result<forms::FilledForm> RenderService::validate(const std::string& form, const Poco::JSON::Object::Ptr& data) const {
    auto def = _catalog.forms->find(form);
    if (!def) return Status::notFound("form_not_found", "Formulaire inconnu : « " + form + " ».");
    return forms::fill(def, data);
}

Result<Rendered> RenderService::render(const RenderRequest& request) const {
    auto def = _catalog.forms->find(request.form);
    if (!def) return Status::notFound("form_not_found", "Formulaire inconnu : « " + request.form + " ».");
    if (!request.variant.empty() && !def->variant(request.variant))
        return Status::notFound("variant_not_found", "Variante inconnue pour « " + request.form + " » : « " + request.variant + " ».");
    if (!def->supportsFormat(request.format))
        return Status::notFound("format_unsupported", "Le formulaire « " + request.form + " » n'existe pas au format « " + request.format + " ».");
    auto filled = forms::fill(def, request.data);
    if (!filled.isOk()) return filled.status();
    return renderFilled(filled.value(), request);
}

Result<Rendered> RenderService::renderFilled(const forms::FilledForm& filled, const RenderRequest& request) const {
    const forms::FormDef& def = *filled.form;
    // The variant follows the data where the form says so (a grille's référentiel).
    auto chosen = forms::chooseVariant(def, filled.data, request.variant);
    if (!chosen.isOk()) return chosen.status();
    const std::string variant = chosen.value();
    const std::string idVariant = def.variants.size() > 1 ? variant : "";
    Rendered out;
    if (!request.documentId.empty()) out.documentId = request.documentId;
    else if (request.redacted.empty()) out.documentId = contentDocumentId(def.id, idVariant, request.data);
    else out.documentId = redactedDocumentId(def.id, idVariant, request.data, request.redacted);
    const std::string today = todayFrench();
    if (request.format == "xlsx") {
        xlsx::XlsxOptions xo;
        xo.documentId = out.documentId;
        xo.today = today;
        xo.redacted = request.redacted;
        auto bytes = xlsx::render(filled, xo);
        if (!bytes.isOk()) return bytes.status();
        out.bytes = bytes.take();
        out.contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        out.fileName = def.id + "-" + out.documentId + ".xlsx";
        return out;
    }
    if (request.format != "pdf") return Status::notFound("format_unsupported", "Format inconnu : « " + request.format + " ».");
    auto tpl = _catalog.templates->find(def.id, variant);
    if (!tpl) return Status::notFound("variant_not_found", "Aucun modèle pour « " + def.id + " », variante « " + variant + " ».");
    // Refuse what the fonts cannot draw rather than let it vanish from the document.
    std::vector<FieldError> undrawable;
    findUndrawable(filled.data, "", _catalog.fontsDir, undrawable);
    if (!undrawable.empty())
        return Status::invalidArgument("validation_failed", "Le document ne peut pas être imprimé en PDF tel quel.", undrawable);
    templates::ComposeOptions co{request.displayedDocumentId.empty() ? out.documentId : request.displayedDocumentId, today,
                                 request.redacted, request.recipientNotice};
    auto composed = templates::compose(*tpl, filled, co);
    pdf::PdfOptions po;
    po.fontsDir = _catalog.fontsDir;
    po.title = def.title;
    po.subject = out.documentId;
    auto pdf = pdf::render(composed.blocks, composed.setup, po);
    if (!pdf.isOk()) return pdf.status();
    out.bytes = std::move(pdf.value().bytes);
    out.pages = pdf.value().pages;
    out.contentType = "application/pdf";
    out.fileName = def.id + "-" + out.documentId + ".pdf";
    return out;
}

} // namespace passerelle::service
