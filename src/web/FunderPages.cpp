#include "web/FunderPages.h"

#include <algorithm>
#include <map>
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include "forms/FormRegistry.h"
#include "web/PageHelpers.h"

namespace passerelle::web {

using http::Reply;

namespace {

const char* const ACTION_ID = "(act_[0-9a-f]{16})";

bool isAssociation(const Page& p) { return p.caller.kind == storage::KIND_ASSOCIATION; }
bool isFunder(const Page& p) { return p.caller.kind == storage::KIND_FINANCEUR; }

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : i + 1 == items.size() ? " et " : ", ") + items[i];
    return out;
}

} // namespace

void addFunderPages(http::Router& router, const WebApp& app, const FunderServices& s) {
    auto dossiers = s.dossiers;
    auto drafts = s.drafts;
    auto orgs = s.organisations;
    auto funderForms = [dossiers] {
        std::vector<std::shared_ptr<const forms::FormDef>> out;
        for (const auto& def : dossiers->renderer()->catalog().forms->all())
            if (!def->personalData) out.push_back(def);
        return out;
    };
    auto fundersOf = [orgs](const storage::Action& a) {
        std::vector<std::string> names;
        for (const auto& id : a.funderIds) names.push_back(orgs->nameOf(id));
        std::sort(names.begin(), names.end());
        return names.empty() ? std::string("aucun financeur désigné") : joined(names);
    };

    // --- The list -------------------------------------------------------------------------------
    app.page(router, "GET", "/actions", [&app, dossiers, orgs, fundersOf](Page& page) {
        if (!isAssociation(page) && !isFunder(page)) return app.notFound(page);
        auto list = dossiers->listActions(page.caller);
        if (!list.isOk()) return app.errorPage(page, list.status());
        auto actions = list.value();
        std::sort(actions.begin(), actions.end(), [](const auto& a, const auto& b) { return a.createdAt > b.createdAt; });
        mstch::array rows;
        for (const auto& a : actions)
            rows.push_back(mstch::map{{"id", a.id},
                                      {"title", a.title},
                                      {"association", orgs->nameOf(a.associationId)},
                                      {"funders", fundersOf(a)},
                                      {"created", frenchDate(a.createdAt)}});
        mstch::map ctx{{"actions", rows}, {"isAssociation", isAssociation(page)}, {"isFunder", isFunder(page)}};
        if (page.query.get("message") == "creee") ctx["message"] = std::string("L’action a été créée.");
        return app.render(page, "actions", ctx, isFunder(page) ? "Actions financées" : "Actions");
    });

    // --- Creation (association) ----------------------------------------------------------------
    auto newActionPage = [&app, orgs](Page& page, const Status& st) {
        mstch::array summary;
        std::map<std::string, std::string> errors;
        if (!st.isOk()) {
            // An error on one funder ("/funders/0") belongs to the group of checkboxes.
            Status folded = st;
            std::vector<FieldError> details;
            for (auto d : st.details()) {
                if (d.path.rfind("/funders/", 0) == 0) d.path = "/funders";
                details.push_back(d);
            }
            if (!details.empty()) folded = Status::invalidArgument(st.errorCode(), st.message(), details);
            errors = pages::errorsOf(folded, summary, "/title");
        }
        auto funders = orgs->funders();
        if (!funders.isOk()) return app.errorPage(page, funders.status());
        const auto chosen = page.form.all("/funders");
        mstch::array options;
        for (std::size_t i = 0; i < funders.value().size(); ++i) {
            const auto& f = funders.value()[i];
            options.push_back(mstch::map{{"value", f.id},
                                         {"label", f.name},
                                         {"id", i == 0 ? std::string("funders") : "funders-" + std::to_string(i + 1)},
                                         {"checked", std::find(chosen.begin(), chosen.end(), f.id) != chosen.end()}});
        }
        mstch::map ctx{{"errors", summary},
                       {"field", pages::inputField("/title", "Intitulé de l’action", page.form.get("/title"), errors,
                                                   "Par exemple « Diagnostics sociaux AVDL 2027 — Sarthe ».")},
                       {"funders", options}};
        auto fe = errors.find("/funders");
        if (fe != errors.end()) ctx["fundersError"] = fe->second;
        const bool failed = !summary.empty();
        return app.render(page, "action-nouvelle", ctx, failed ? "Erreur : nouvelle action" : "Nouvelle action",
                          failed ? 400 : 200);
    };
    app.page(router, "GET", "/actions/nouvelle", [&app, newActionPage](Page& page) {
        if (!isAssociation(page)) return app.notFound(page);
        return newActionPage(page, Status::ok());
    });
    app.page(router, "POST", "/actions", [&app, dossiers, newActionPage](Page& page) {
        if (!isAssociation(page)) return app.notFound(page);
        // The same body as POST /v1/actions.
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("title", Poco::trim(page.form.get("/title")));
        Poco::JSON::Array::Ptr funders = new Poco::JSON::Array;
        std::set<std::string> seen;
        for (const auto& f : page.form.all("/funders"))
            if (!f.empty() && seen.insert(f).second) funders->add(f);
        body->set("funders", funders);
        auto created = dossiers->createAction(page.caller, body);
        if (!created.isOk()) {
            if (created.status().code() == Status::Code::InvalidArgument) return newActionPage(page, created.status());
            return app.errorPage(page, created.status());
        }
        return app.redirect("/actions/" + created.value().id + "?message=creee");
    });

    // --- One action ----------------------------------------------------------------------------
    app.page(router, "GET", std::string("/actions/") + ACTION_ID, [&app, dossiers, drafts, orgs, fundersOf, funderForms](Page& page) {
        const std::string id = page.request.params.at(0);
        if (!isAssociation(page) && !isFunder(page)) return app.notFound(page);
        auto a = dossiers->getAction(page.caller, id);
        if (!a.isOk()) return a.status().code() == Status::Code::NotFound ? app.notFound(page) : app.errorPage(page, a.status());
        const auto& forms = *dossiers->renderer()->catalog().forms;
        service::DocumentFilter filter;
        filter.actionId = id;
        filter.limit = 200;
        auto docs = dossiers->listDocuments(page.caller, filter);
        if (!docs.isOk()) return app.errorPage(page, docs.status());
        mstch::array documents;
        for (const auto& doc : docs.value().items) {
            // Only funders' forms are ever attached to an action; the check stays here as a second lock.
            if (!dossiers->isFunderForm(doc.form)) continue;
            auto revs = dossiers->listRevisions(page.caller, doc.id);
            if (!revs.isOk()) return app.errorPage(page, revs.status());
            auto def = forms.find(doc.form);
            mstch::array revisions;
            const auto& all = revs.value();
            for (auto it = all.rbegin(); it != all.rend(); ++it) {
                mstch::array downloads;
                for (const auto& art : it->artefacts)
                    downloads.push_back(mstch::map{
                        {"href", "/documents/" + doc.id + "/revisions/" + std::to_string(it->number) + "." + art.format},
                        {"label", std::string(art.format == "pdf" ? "PDF" : "Classeur XLSX")},
                        {"format", art.format}});
                revisions.push_back(mstch::map{{"number", std::to_string(it->number)},
                                               {"date", frenchDateTime(it->createdAt)},
                                               {"isCurrent", it->number == doc.currentRevision},
                                               {"downloads", downloads},
                                               {"title", def ? def->title : doc.form}});
            }
            documents.push_back(mstch::map{{"id", doc.id},
                                           {"title", def ? def->title : doc.form},
                                           {"updated", frenchDate(doc.updatedAt)},
                                           {"revisions", revisions}});
        }
        mstch::array newDocuments, openDrafts;
        if (isAssociation(page)) {
            for (const auto& def : funderForms())
                newDocuments.push_back(mstch::map{{"form", def->id}, {"label", def->title}, {"csrf", page.csrfToken}});
            auto ds = drafts->listForAction(page.caller, id);
            if (ds.isOk())
                for (const auto& d : ds.value()) {
                    auto def = forms.find(d.form);
                    openDrafts.push_back(mstch::map{{"href", "/brouillons/" + d.id},
                                                    {"title", def ? def->title : d.form},
                                                    {"isRevision", !d.documentId.empty()},
                                                    {"updated", frenchDateTime(d.updatedAt)}});
                }
        }
        mstch::map ctx{{"action", mstch::map{{"id", a.value().id},
                                              {"title", a.value().title},
                                              {"association", orgs->nameOf(a.value().associationId)},
                                              {"funders", fundersOf(a.value())},
                                              {"created", frenchDate(a.value().createdAt)}}},
                       {"documents", documents},
                       {"newDocuments", newDocuments},
                       {"drafts", openDrafts},
                       {"isAssociation", isAssociation(page)},
                       {"isFunder", isFunder(page)}};
        if (page.query.get("message") == "creee")
            ctx["message"] = std::string("L’action a été créée : remplissez maintenant son annexe budgétaire ou son bilan d’activité.");
        return app.render(page, "action", ctx, "Action " + a.value().title);
    });

    // A new document of a funders' form: its draft is created at once, then filled in the form page.
    app.page(router, "POST", std::string("/actions/") + ACTION_ID + "/brouillons", [&app, drafts, dossiers](Page& page) {
        if (!isAssociation(page)) return app.notFound(page);
        const std::string form = page.form.get("_formulaire");
        if (!dossiers->isFunderForm(form)) return app.notFound(page);
        auto def = dossiers->renderer()->catalog().forms->find(form);
        service::NewDraft nd;
        nd.form = form;
        nd.actionId = page.request.params.at(0);
        if (def && def->variants.size() == 1) nd.variant = def->variants.front().name;
        auto created = drafts->create(page.caller, nd);
        if (!created.isOk())
            return created.status().code() == Status::Code::NotFound ? app.notFound(page) : app.errorPage(page, created.status());
        return app.redirect("/brouillons/" + created.value().id);
    });
}

} // namespace passerelle::web
