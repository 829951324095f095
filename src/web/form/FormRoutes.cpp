#include "web/form/FormRoutes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <sstream>

#include "forms/FormRegistry.h"
#include "web/form/FormPage.h"
#include "web/form/FormPost.h"

namespace passerelle::web {

using http::Reply;
using storage::Draft;

namespace {

const char* const DRAFT_ID = "(brl_[0-9a-f]{16})";
const char* const DOSSIER_ID = "(dos_[0-9a-f]{16})";
const char* const DOCUMENT_ID = "(doc_[0-9a-f]{16})";

Reply jsonReply(int status, const Poco::JSON::Object::Ptr& obj) {
    Reply r = Reply::json(status, obj);
    WebApp::secure(r);
    return r;
}

Reply download(const std::string& bytes, const std::string& contentType, const std::string& fileName, bool inlineView) {
    Reply r;
    r.status = 200;
    r.contentType = contentType;
    r.body = bytes;
    r.headers["Content-Disposition"] = std::string(inlineView ? "inline" : "attachment") + "; filename=\"" + fileName + "\"";
    r.headers["Cache-Control"] = "no-store";
    WebApp::secure(r);
    return r;
}

// Everything the form view shows besides the fields.
struct FormScreen {
    std::shared_ptr<const forms::FormDef> def;
    std::string variant;
    std::string dossierId;
    const Draft* draft = nullptr; // null: a new document, no draft yet
    Poco::JSON::Object::Ptr values;
    Poco::JSON::Object::Ptr computed;
    std::vector<FieldError> errors;
    std::string notice;
    int status = 200;
};

class Handlers {
public:
    Handlers(const WebApp& app, FormServices s) : _app(app), _s(std::move(s)) {}

    const forms::FormRegistry& forms() const { return *_s.dossiers->renderer()->catalog().forms; }
    const templates::TemplateRegistry& templates() const { return *_s.dossiers->renderer()->catalog().templates; }

    Reply form(Page& page, const FormScreen& f) const {
        FormPageInput in;
        in.form = f.def.get();
        in.variant = f.variant;
        in.values = f.values;
        in.computed = f.computed;
        in.errors = f.errors;
        in.hiddenFields = fieldsOfOtherVariants(templates(), *f.def, f.variant);
        FormPage built = buildFormPage(in);
        mstch::map ctx = built.context;
        const forms::VariantDef* v = f.def->variant(f.variant);
        ctx["formTitle"] = f.def->title;
        ctx["formDescription"] = f.def->description;
        ctx["variantLabel"] = v ? v->label : f.variant;
        ctx["hasVariants"] = f.def->variants.size() > 1;
        ctx["formId"] = f.def->id;
        ctx["variant"] = f.variant;
        ctx["hasXlsx"] = f.def->supportsFormat("xlsx");
        ctx["notice"] = f.notice;
        ctx["hasNotice"] = !f.notice.empty();
        std::string reference;
        if (!f.dossierId.empty()) {
            auto dossier = _s.dossiers->getDossier(page.caller, f.dossierId);
            if (dossier.isOk()) reference = dossier.value().reference;
        }
        ctx["dossierId"] = f.dossierId;
        ctx["hasDossier"] = !f.dossierId.empty();
        ctx["dossierReference"] = reference.empty() ? f.dossierId : reference;
        ctx["isNew"] = f.draft == nullptr;
        // A funders' form belongs to an action (web/FunderPages): the way back.
        ctx["actionId"] = f.draft ? f.draft->actionId : std::string();
        ctx["hasAction"] = f.draft && !f.draft->actionId.empty();
        if (f.draft) {
            const std::string base = "/brouillons/" + f.draft->id;
            ctx["draftId"] = f.draft->id;
            ctx["actionUrl"] = base;
            ctx["autosaveUrl"] = base + "/enregistrer";
            ctx["checkUrl"] = base + "/verifier";
            ctx["savedAt"] = frenchDateTime(f.draft->updatedAt);
            ctx["isRevision"] = !f.draft->documentId.empty();
            ctx["documentId"] = f.draft->documentId;
            ctx["baseRevision"] = std::to_string(f.draft->baseRevision);
        } else {
            ctx["draftId"] = std::string();
            ctx["actionUrl"] = "/dossiers/" + f.dossierId + "/brouillons";
            ctx["autosaveUrl"] = "/dossiers/" + f.dossierId + "/brouillons";
            ctx["checkUrl"] = std::string();
            ctx["savedAt"] = std::string();
            ctx["isRevision"] = false;
        }
        std::string title = f.def->title + (f.draft ? " — brouillon" : " — nouveau document");
        if (!f.errors.empty()) title = "Erreur : " + title;
        return _app.render(page, "formulaire", ctx, title, f.status);
    }

    // The draft's page as stored, with an optional notice.
    Reply draftPage(Page& page, const Draft& d, std::vector<FieldError> errors, const std::string& notice, int status) const {
        FormScreen f;
        f.def = forms().find(d.form);
        if (!f.def) return _app.errorPage(page, Status::notFound("form_not_found", "Formulaire inconnu."));
        f.variant = d.variant;
        f.dossierId = d.dossierId;
        f.draft = &d;
        f.values = service::DraftService::values(d);
        service::DraftCheck check = _s.drafts->check(d);
        f.computed = check.computed;
        f.errors = std::move(errors);
        f.notice = notice;
        f.status = status;
        return form(page, f);
    }

    // After the posted values were saved: what the pressed button asked for.
    Reply afterSave(Page& page, const Draft& d, const std::string& action) const {
        const std::string base = "/brouillons/" + d.id;
        if (action == "finaliser") {
            auto done = _s.drafts->finalise(page.caller, d.id);
            if (done.isOk())
                return _app.redirect("/documents/" + done.value().document.id + "?revision=" +
                                     std::to_string(done.value().revision.number) + "&finalise=1");
            if (done.status().code() == Status::Code::InvalidArgument) {
                auto errors = done.status().details();
                if (errors.empty()) errors.push_back({"", done.status().errorCode(), done.status().message()});
                return draftPage(page, d, errors, "", 422);
            }
            return _app.errorPage(page, done.status());
        }
        if (action == "apercu") {
            service::DraftCheck check = _s.drafts->check(d);
            if (!check.errors.empty())
                return draftPage(page, d, check.errors,
                                 "L’aperçu n’est possible qu’une fois le brouillon complet : corrigez les points signalés.", 422);
            return _app.redirect(base + "/apercu");
        }
        TableAction t = parseTableAction(action);
        if (t.kind == TableAction::Kind::Add) return _app.redirect(base + "#" + fieldId(t.pointer));
        if (t.kind == TableAction::Kind::Remove) {
            std::string table = t.pointer.substr(0, t.pointer.rfind('/'));
            return _app.redirect(base + "#" + fieldId(table));
        }
        return _app.redirect(base + "?enregistre=1");
    }

    // The posted page as JSON values (table action applied).
    Poco::JSON::Object::Ptr posted(const Page& page, const forms::FormDef& def) const {
        return postedToJson(def, page.form.pairs, parseTableAction(page.form.get("_action"))).values;
    }

    Reply draftSaved(const Draft& d) const {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("draftId", d.id);
        o->set("version", d.version);
        o->set("savedAt", frenchDateTime(d.updatedAt));
        o->set("actionUrl", "/brouillons/" + d.id);
        o->set("autosaveUrl", "/brouillons/" + d.id + "/enregistrer");
        o->set("checkUrl", "/brouillons/" + d.id + "/verifier");
        return jsonReply(200, o);
    }

    Reply jsonError(const Status& st) const {
        Reply r = Reply::error(st);
        WebApp::secure(r);
        return r;
    }

    const WebApp& _app;
    FormServices _s;
};

mstch::array downloadsOf(const std::string& documentId, const storage::Revision& rev) {
    mstch::array out;
    for (const auto& a : rev.artefacts) {
        std::string label = a.format == "pdf" ? "Télécharger le PDF" : "Télécharger le classeur XLSX";
        out.push_back(mstch::map{{"href", "/documents/" + documentId + "/revisions/" + std::to_string(rev.number) + "." + a.format},
                                 {"label", label},
                                 {"format", a.format}});
    }
    return out;
}

} // namespace

void addFormRoutes(http::Router& router, const WebApp& app, const FormServices& services) {
    auto h = std::make_shared<Handlers>(app, services);

    // A new document: the choice of the variant when there are several, then the empty form.
    app.page(router, "GET", std::string("/dossiers/") + DOSSIER_ID + "/documents/nouveau", [h](Page& page) {
        const std::string dossierId = page.request.params.at(0);
        auto dossier = h->_s.dossiers->getDossier(page.caller, dossierId);
        if (!dossier.isOk()) return h->_app.errorPage(page, dossier.status());
        auto def = h->forms().find(page.query.get("formulaire"));
        if (!def || !def->personalData) return h->_app.notFound(page);
        std::string variant = page.query.get("modele");
        if (variant.empty() && def->variants.size() == 1) variant = def->variants.front().name;
        if (variant.empty() || !def->variant(variant)) {
            // Never guessed: the person chooses the partnership's model.
            mstch::array options;
            for (std::size_t i = 0; i < def->variants.size(); ++i)
                options.push_back(mstch::map{{"value", def->variants[i].name},
                                             {"label", def->variants[i].label},
                                             {"id", i == 0 ? std::string("modele") : "modele-" + std::to_string(i + 1)}});
            bool invalid = page.query.has("modele");
            mstch::map ctx{{"formTitle", def->title},
                           {"formId", def->id},
                           {"dossierId", dossierId},
                           {"dossierReference", dossier.value().reference},
                           {"options", options},
                           {"hasError", invalid}};
            return h->_app.render(page, "formulaire-modele", ctx,
                                  (invalid ? "Erreur : " : "") + def->title + " — choix du modèle", invalid ? 422 : 200);
        }
        FormScreen f;
        f.def = def;
        f.variant = variant;
        f.dossierId = dossierId;
        f.values = new Poco::JSON::Object;
        return h->form(page, f);
    });

    // The first POST of a new document's page creates its draft.
    app.page(router, "POST", std::string("/dossiers/") + DOSSIER_ID + "/brouillons", [h](Page& page) {
        const std::string dossierId = page.request.params.at(0);
        const std::string action = page.form.get("_action");
        service::NewDraft nd;
        nd.form = page.form.get("_formulaire");
        nd.variant = page.form.get("_modele");
        nd.dossierId = dossierId;
        auto created = h->_s.drafts->create(page.caller, nd);
        if (!created.isOk())
            return action == "autosave" ? h->jsonError(created.status()) : h->_app.errorPage(page, created.status());
        auto def = h->forms().find(created.value().form);
        auto saved = h->_s.drafts->save(page.caller, created.value().id, h->posted(page, *def));
        if (!saved.isOk())
            return action == "autosave" ? h->jsonError(saved.status()) : h->_app.errorPage(page, saved.status());
        if (action == "autosave") return h->draftSaved(saved.value());
        // Redirect after POST: the page of a draft lives at its own address; errors shown there.
        if ((action == "finaliser" || action == "apercu") && !h->_s.drafts->check(saved.value()).errors.empty())
            return h->_app.redirect("/brouillons/" + saved.value().id + "?erreurs=1");
        return h->afterSave(page, saved.value(), action);
    });

    // The dossier's open drafts: where a person finds again what was typed (a tablet's battery died).
    app.page(router, "GET", std::string("/dossiers/") + DOSSIER_ID + "/brouillons", [h](Page& page) {
        const std::string dossierId = page.request.params.at(0);
        auto dossier = h->_s.dossiers->getDossier(page.caller, dossierId);
        if (!dossier.isOk()) return h->_app.errorPage(page, dossier.status());
        auto list = h->_s.drafts->listForDossier(page.caller, dossierId);
        if (!list.isOk()) return h->_app.errorPage(page, list.status());
        mstch::array items;
        for (const auto& d : list.value()) {
            auto def = h->forms().find(d.form);
            const forms::VariantDef* v = def ? def->variant(d.variant) : nullptr;
            items.push_back(mstch::map{{"href", "/brouillons/" + d.id},
                                       {"title", def ? def->title : d.form},
                                       {"variantLabel", v && def->variants.size() > 1 ? v->label : std::string()},
                                       {"isRevision", !d.documentId.empty()},
                                       {"updatedAt", frenchDateTime(d.updatedAt)}});
        }
        mstch::map ctx{{"dossierId", dossierId},
                       {"dossierReference", dossier.value().reference},
                       {"hasDrafts", !items.empty()}};
        ctx.emplace("drafts", std::move(items));
        return h->_app.render(page, "brouillons", ctx, "Brouillons du dossier " + dossier.value().reference);
    });

    app.page(router, "GET", std::string("/brouillons/") + DRAFT_ID, [h](Page& page) {
        auto d = h->_s.drafts->get(page.caller, page.request.params.at(0));
        if (!d.isOk()) return h->_app.errorPage(page, d.status());
        if (!d.value().open())
            return h->_app.redirect("/documents/" + d.value().finalisedDocumentId + "?revision=" +
                                    std::to_string(d.value().finalisedRevision));
        std::string notice = page.query.has("enregistre")
                                 ? "Brouillon enregistré le " + frenchDateTime(d.value().updatedAt) + "."
                                 : std::string();
        // "?erreurs=1": the draft as checked by the validation (after a finalise that failed).
        std::vector<FieldError> errors;
        if (page.query.has("erreurs")) errors = h->_s.drafts->check(d.value()).errors;
        return h->draftPage(page, d.value(), errors, notice, 200);
    });

    app.page(router, "POST", std::string("/brouillons/") + DRAFT_ID, [h](Page& page) {
        auto d = h->_s.drafts->get(page.caller, page.request.params.at(0));
        if (!d.isOk()) return h->_app.errorPage(page, d.status());
        auto def = h->forms().find(d.value().form);
        if (!def) return h->_app.notFound(page);
        auto saved = h->_s.drafts->save(page.caller, d.value().id, h->posted(page, *def));
        if (!saved.isOk()) return h->_app.errorPage(page, saved.status());
        return h->afterSave(page, saved.value(), page.form.get("_action"));
    });

    // Autosave (script, every few seconds while typing).
    app.page(router, "POST", std::string("/brouillons/") + DRAFT_ID + "/enregistrer", [h](Page& page) {
        auto d = h->_s.drafts->get(page.caller, page.request.params.at(0));
        if (!d.isOk()) return h->jsonError(d.status());
        auto def = h->forms().find(d.value().form);
        if (!def) return h->jsonError(Status::notFound("form_not_found", "Formulaire inconnu."));
        auto saved = h->_s.drafts->save(page.caller, d.value().id,
                                        postedToJson(*def, page.form.pairs).values);
        if (!saved.isOk()) return h->jsonError(saved.status());
        return h->draftSaved(saved.value());
    });

    // Inline validation (script): the same validation use case as finalising.
    app.page(router, "POST", std::string("/brouillons/") + DRAFT_ID + "/verifier", [h](Page& page) {
        auto d = h->_s.drafts->get(page.caller, page.request.params.at(0));
        if (!d.isOk()) return h->jsonError(d.status());
        auto def = h->forms().find(d.value().form);
        if (!def) return h->jsonError(Status::notFound("form_not_found", "Formulaire inconnu."));
        Draft probe = d.value();
        Poco::JSON::Object::Ptr values = postedToJson(*def, page.form.pairs).values;
        std::ostringstream json;
        values->stringify(json);
        probe.valuesJson = json.str();
        service::DraftCheck check = h->_s.drafts->check(probe);
        Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
        for (const auto& e : check.errors) {
            Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
            o->set("path", e.path);
            o->set("id", fieldId(e.path));
            o->set("rule", e.rule);
            o->set("message", e.message);
            errors->add(o);
        }
        Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
        out->set("errors", errors);
        return jsonReply(200, out);
    });

    app.page(router, "GET", std::string("/brouillons/") + DRAFT_ID + "/apercu", [h](Page& page) {
        auto d = h->_s.drafts->get(page.caller, page.request.params.at(0));
        if (!d.isOk()) return h->_app.errorPage(page, d.status());
        auto def = h->forms().find(d.value().form);
        if (!def) return h->_app.notFound(page);
        service::DraftCheck check = h->_s.drafts->check(d.value());
        mstch::map ctx{{"formTitle", def->title},
                       {"draftId", d.value().id},
                       {"hasXlsx", def->supportsFormat("xlsx")},
                       {"complete", check.errors.empty()},
                       {"errorCount", static_cast<int>(check.errors.size())},
                       {"dossierId", d.value().dossierId}};
        return h->_app.render(page, "apercu", ctx, def->title + " — aperçu du brouillon");
    });

    app.page(router, "GET", std::string("/brouillons/") + DRAFT_ID + "/apercu\\.(pdf|xlsx)", [h](Page& page) {
        auto r = h->_s.drafts->preview(page.caller, page.request.params.at(0), page.request.params.at(1));
        if (!r.isOk()) return h->_app.errorPage(page, r.status());
        return download(r.value().bytes, r.value().contentType, "apercu-" + r.value().fileName, false);
    });

    // A document: its revisions, each readable and downloadable.
    app.page(router, "GET", std::string("/documents/") + DOCUMENT_ID, [h](Page& page) {
        const std::string id = page.request.params.at(0);
        auto doc = h->_s.dossiers->getDocument(page.caller, id, 0);
        if (!doc.isOk()) return h->_app.errorPage(page, doc.status());
        auto revisions = h->_s.dossiers->listRevisions(page.caller, id);
        if (!revisions.isOk()) return h->_app.errorPage(page, revisions.status());
        auto def = h->forms().find(doc.value().document.form);
        auto access = h->_s.dossiers->documentAccess(page.caller, doc.value().document);
        bool writable = access.isOk() && access.value() == service::DossierService::Access::Write;
        mstch::array revs;
        const auto& all = revisions.value();
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
            const forms::VariantDef* v = def ? def->variant(it->variant) : nullptr;
            revs.push_back(mstch::map{{"number", std::to_string(it->number)},
                                      {"createdAt", frenchDateTime(it->createdAt)},
                                      {"variantLabel", v ? v->label : it->variant},
                                      {"isCurrent", it->number == doc.value().document.currentRevision},
                                      {"downloads", downloadsOf(id, *it)}});
        }
        std::string reference;
        if (!doc.value().document.dossierId.empty()) {
            auto dossier = h->_s.dossiers->getDossier(page.caller, doc.value().document.dossierId);
            if (dossier.isOk()) reference = dossier.value().reference;
        }
        std::string notice;
        if (page.query.has("finalise"))
            notice = "Document finalisé : révision " + page.query.get("revision") + " enregistrée.";
        mstch::map ctx{{"formTitle", def ? def->title : doc.value().document.form},
                       {"documentId", id},
                       {"currentRevision", std::to_string(doc.value().document.currentRevision)},
                       {"revisions", revs},
                       {"writable", writable},
                       // Signable forms (a "signing" block): « Faire signer » (SigningPages.cpp).
                       {"signable", writable && def && def->signing},
                       {"notice", notice},
                       {"hasNotice", !notice.empty()},
                       {"dossierId", doc.value().document.dossierId},
                       {"hasDossier", !doc.value().document.dossierId.empty()},
                       {"actionId", doc.value().document.actionId},
                       {"hasAction", !doc.value().document.actionId.empty()},
                       {"dossierReference", reference}};
        return h->_app.render(page, "document", ctx, (def ? def->title : std::string("Document")) + " " + id);
    });

    app.page(router, "GET", std::string("/documents/") + DOCUMENT_ID + "/revisions/([0-9]{1,6})\\.(pdf|xlsx)", [h](Page& page) {
        const std::string id = page.request.params.at(0);
        auto art = h->_s.dossiers->getRendition(page.caller, id, page.request.params.at(2),
                                                std::stoll(page.request.params.at(1)));
        if (!art.isOk()) return h->_app.errorPage(page, art.status());
        auto doc = h->_s.dossiers->getDocument(page.caller, id, 0);
        std::string form = doc.isOk() ? doc.value().document.form : "document";
        return download(art.value().bytes, art.value().contentType,
                        form + "-" + id + "-revision-" + page.request.params.at(1) + "." + page.request.params.at(2), false);
    });

    // A new revision starts from the current one's values.
    app.page(router, "POST", std::string("/documents/") + DOCUMENT_ID + "/revisions", [h](Page& page) {
        service::NewDraft nd;
        nd.fromDocumentId = page.request.params.at(0);
        auto created = h->_s.drafts->create(page.caller, nd);
        if (!created.isOk()) return h->_app.errorPage(page, created.status());
        return h->_app.redirect("/brouillons/" + created.value().id);
    });
}

} // namespace passerelle::web
