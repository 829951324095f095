#include "service/RenderService.h"

#include <chrono>

#include "common/Metrics.h"

#include "common/Deadline.h"
#include "forms/RowFilter.h"

#include <sstream>

#include <Poco/DateTime.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/LocalDateTime.h>

#include "common/Digest.h"
#include "common/Text.h"
#include "pdf/GlyphCoverage.h"
#include "pdf/PdfRenderer.h"
#include "svg/SvgPages.h"
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
        for (const char* font : {"LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "NotoSansArabic-Regular.ttf",
                                 "NotoSansArabic-Bold.ttf"})
            if (!Poco::File(fontsDir + "/" + font).exists())
                return Status::internal("font_missing", "Police manquante : " + fontsDir + "/" + font);
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

namespace {

// Writes a canonical form of a JSON value, then hashes it once with SHA-256 (OpenSSL): a type
// tag, then the value (strings with their length, so that no two documents give the same
// bytes); object keys in sorted order, so the id does not depend on key order. Keys whose
// dotted path (array indexes left out) is in `skip` are left out: the id of a recipient copy
// does not depend on what was left out of it. The bytes are those the SHA2Engine version fed
// (tags as "%c%llu:"), so ids are unchanged.
class ContentHasher {
public:
    explicit ContentHasher(const std::set<std::string>* skip) : _skip(skip) { _bytes.reserve(8192); }

    void feed(std::string_view s) { _bytes.append(s); }
    void value(const Poco::Dynamic::Var& v, std::string& path) {
        const std::type_info& t = v.type();
        if (t == typeid(Poco::JSON::Object::Ptr)) {
            object(v.extract<Poco::JSON::Object::Ptr>(), path);
        } else if (t == typeid(Poco::JSON::Array::Ptr)) {
            const auto& arr = v.extract<Poco::JSON::Array::Ptr>();
            tag('[', arr->size());
            for (auto it = arr->begin(); it != arr->end(); ++it) value(*it, path);
            tag(']', 0);
        } else if (v.isEmpty()) {
            tag('n', 0);
        } else if (t == typeid(std::string)) {
            const auto& s = v.extract<std::string>();
            tag('s', s.size());
            feed(s);
        } else if (t == typeid(bool)) {
            tag(v.extract<bool>() ? 't' : 'f', 0);
        } else if (v.isInteger()) {
            if (v.isSigned()) tag('i', static_cast<unsigned long long>(v.convert<Poco::Int64>()));
            else tag('u', v.convert<Poco::UInt64>());
        } else if (v.isNumeric()) {
            char buf[40];
            int n = std::snprintf(buf, sizeof buf, "%.17g", v.convert<double>());
            tag('d', static_cast<unsigned long long>(n));
            _bytes.append(buf, static_cast<std::size_t>(n));
        } else {
            const std::string s = v.convert<std::string>();
            tag('?', s.size());
            feed(s);
        }
    }
    void object(const Poco::JSON::Object::Ptr& obj, std::string& path) {
        if (!obj) { tag('n', 0); return; }
        tag('{', obj->size());
        const std::size_t base = path.size();
        for (auto it = obj->begin(); it != obj->end(); ++it) { // std::map: sorted keys
            if (_skip) {
                if (base) path += '.';
                path += it->first;
                const bool skipped = _skip->count(path) > 0;
                if (!skipped) keyed(it->first, it->second, path);
                path.resize(base);
            } else {
                keyed(it->first, it->second, path); // no path needed when nothing is skipped
            }
        }
        tag('}', 0);
    }
    std::string hex() const { return digest::sha256Hex(_bytes); }

private:
    void keyed(const std::string& key, const Poco::Dynamic::Var& v, std::string& path) {
        tag('k', key.size());
        feed(key);
        value(v, path);
    }
    // kind, n in decimal, ':' (what "%c%llu:" printed).
    void tag(char kind, unsigned long long n) {
        char buf[24];
        char* end = buf + sizeof buf;
        char* p = end;
        *--p = ':';
        do {
            *--p = static_cast<char>('0' + n % 10);
            n /= 10;
        } while (n);
        *--p = kind;
        _bytes.append(p, static_cast<std::size_t>(end - p));
    }
    std::string _bytes;
    const std::set<std::string>* _skip;
};

std::string idPrefix(const std::string& form) {
    std::string prefix;
    std::size_t start = 0;
    while (start < form.size()) {
        prefix.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(form[start]))));
        std::size_t dash = form.find('-', start);
        if (dash == std::string::npos) break;
        start = dash + 1;
    }
    return prefix;
}

// The variant is part of the id (a Côtes-d'Armor grille never shares the id of an AFFIL one).
std::string hashedDocumentId(const std::string& form, const std::string& variant, const Poco::JSON::Object::Ptr& data,
                             const std::set<std::string>* skip) {
    ContentHasher h(skip);
    h.feed(form);
    h.feed("\n");
    if (!variant.empty()) {
        h.feed("variant:");
        h.feed(variant);
        h.feed("\n");
    }
    std::string path;
    h.object(data, path);
    return idPrefix(form) + "-" + h.hex().substr(0, 10);
}

// The identifier of a recipient copy must not depend on what was left out of it.
std::string redactedDocumentId(const std::string& form, const std::string& variant, const Poco::JSON::Object::Ptr& data,
                               const std::set<std::string>& redacted) {
    return hashedDocumentId(form, variant, data, &redacted);
}

} // namespace

std::string contentDocumentId(const std::string& form, const Poco::JSON::Object::Ptr& data) {
    return hashedDocumentId(form, "", data, nullptr);
}

std::string contentDocumentId(const std::string& form, const std::string& variant, const Poco::JSON::Object::Ptr& data) {
    return hashedDocumentId(form, variant, data, nullptr);
}

namespace {

std::string codePointName(char32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

// Whether some text value holds a character the PDF fonts cannot draw: one pass over the tree by
// reference, no path built (findUndrawable() names the fields, only when there is one).
bool anyUndrawable(const Poco::Dynamic::Var& v, const std::string& fontsDir) {
    const std::type_info& t = v.type();
    if (t == typeid(Poco::JSON::Object::Ptr)) {
        const auto& obj = v.extract<Poco::JSON::Object::Ptr>();
        if (!obj) return false;
        for (auto it = obj->begin(); it != obj->end(); ++it)
            if (anyUndrawable(it->second, fontsDir)) return true;
    } else if (t == typeid(Poco::JSON::Array::Ptr)) {
        const auto& arr = v.extract<Poco::JSON::Array::Ptr>();
        if (!arr) return false;
        for (auto it = arr->begin(); it != arr->end(); ++it)
            if (anyUndrawable(*it, fontsDir)) return true;
    } else if (t == typeid(std::string)) {
        return pdf::firstUndrawable(v.extract<std::string>(), fontsDir).has_value();
    }
    return false;
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
    if (Deadline::expired()) return Deadline::status();
    if (!filled.isOk()) {
        metrics::inc("passerelle_renders_total", {{"form", request.form}, {"format", request.format}, {"outcome", "invalid"}});
        return filled.status();
    }
    return renderFilled(filled.value(), request);
}

Result<Rendered> RenderService::renderFilled(const forms::FilledForm& complete, const RenderRequest& request) const {
    // Metrics: renders by form and format (known forms and formats: labels stay bounded), outcome and duration.
    const auto started = std::chrono::steady_clock::now();
    Result<Rendered> r = renderValidated(complete, request);
    const std::string& form = complete.form->id;
    metrics::inc("passerelle_renders_total", {{"form", form}, {"format", request.format}, {"outcome", r.isOk() ? "ok" : "error"}});
    if (r.isOk())
        metrics::observe("passerelle_render_duration_seconds", {{"form", form}, {"format", request.format}},
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return r;
}

Result<RenderedPages> RenderService::renderFilledWithPages(const forms::FilledForm& filled, const RenderRequest& request) const {
    if (request.format != "pdf") return Status::invalidArgument("format_unsupported", "Les pages ne se dessinent qu’à partir du PDF.");
    RenderedPages out;
    auto pdf = renderValidated(filled, request, &out);
    if (!pdf.isOk()) return pdf.status();
    out.pdf = pdf.take();
    return out;
}

Result<Rendered> RenderService::renderValidated(const forms::FilledForm& complete, const RenderRequest& request,
                                                RenderedPages* pages) const {
    // A recipient copy never carries the rows the consent gate withheld, in any format.
    forms::FilledForm filled = complete;
    if (!request.redactedRows.empty()) filled.data = forms::withoutRows(complete.data, request.redactedRows);
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
        if (Deadline::expired()) return Deadline::status();
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
    if (anyUndrawable(filled.data, _catalog.fontsDir)) findUndrawable(filled.data, "", _catalog.fontsDir, undrawable);
    if (!undrawable.empty())
        return Status::invalidArgument("validation_failed", "Le document ne peut pas être imprimé en PDF tel quel.", undrawable);
    templates::ComposeOptions co{request.displayedDocumentId.empty() ? out.documentId : request.displayedDocumentId, today,
                                 request.redacted, request.recipientNotice};
    auto composed = templates::compose(*tpl, filled, co);
    pdf::PdfOptions po;
    po.fontsDir = _catalog.fontsDir;
    po.title = def.title;
    po.subject = out.documentId;
    po.embedAllFonts = request.embedAllFonts;
    auto pdf = pdf::render(composed.blocks, composed.setup, po);
    // Layout and drawing stop early once the request's time limit has passed: never send that partial document.
    if (Deadline::expired()) return Deadline::status();
    if (!pdf.isOk()) return pdf.status();
    if (pages) {
        // From the same blocks, setup and fonts: the same layout as the PDF just drawn.
        auto svgPages = svg::render(composed.blocks, composed.setup, po, svg::SvgOptions{def.title});
        if (Deadline::expired()) return Deadline::status();
        if (!svgPages.isOk()) return svgPages.status();
        if (svgPages.value().size() != static_cast<std::size_t>(pdf.value().pages))
            return Status::internal("pages_mismatch", "Les pages dessinées ne correspondent pas au PDF.");
        pages->svgPages = svgPages.take();
        pages->widthPt = composed.setup.width;
        pages->heightPt = composed.setup.height;
    }
    out.bytes = std::move(pdf.value().bytes);
    out.pages = pdf.value().pages;
    out.contentType = "application/pdf";
    out.fileName = def.id + "-" + out.documentId + ".pdf";
    return out;
}

} // namespace passerelle::service
