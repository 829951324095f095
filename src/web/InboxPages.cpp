// The inbox of a landlord or of the SIAO (issue 12): the copies transmitted to
// it, new or read, with search and filters; a copy's page shows its permitted
// content (Transmission::permittedJson, what the gate let through — never the
// dossier), its files, the sending association and référent, the date and the
// consent it rests on, marked « consentement retiré le … » when withdrawn.
// Every list, reading and download is audited by the service, as in the API.
#include "web/TransmissionPages.h"

#include <Poco/JSON/Parser.h>

#include "common/Date.h"
#include "forms/FormRegistry.h"
#include "web/CopyContent.h"
#include "web/PageKit.h"

namespace passerelle::web {

using http::Reply;

namespace {

constexpr int COPIES_PER_PAGE = 20;

bool isRecipient(const service::Caller& c) { return c.kind == "bailleur" || c.kind == "siao"; }

std::string joinTitles(const std::vector<std::string>& kinds, const forms::FormRegistry& forms) {
    std::string out;
    for (const auto& k : kinds) out += (out.empty() ? "" : " ; ") + kit::formTitle(forms, k);
    return out.empty() ? "—" : out;
}

std::string joinCategories(const std::vector<std::string>& cats) {
    std::string out;
    for (const auto& c : cats) out += (out.empty() ? "" : " ; ") + forms::categoryLabel(c);
    return out.empty() ? "—" : out;
}

mstch::map consentOf(const service::ConsentSummary& c, const forms::FormRegistry& forms) {
    mstch::map m{{"givenAt", kit::parisDay(c.givenAt)},
                 {"documents", joinTitles(c.documentKinds, forms)},
                 {"categories", joinCategories(c.categories)},
                 {"copieSiao", std::string(c.copieSiao ? "Oui" : "Non")}};
    if (c.expiresAt) m["expiresAt"] = kit::parisDay(*c.expiresAt);
    if (c.withdrawnAt) m["withdrawnAt"] = kit::parisDay(*c.withdrawnAt);
    return m;
}

// A date filter: "2026-11-22" or "22/11/2026" → "2026-11-22"; "" when invalid.
std::string isoDay(const std::string& text) {
    std::string t = text;
    if (t.size() == 10 && t[2] == '/' && t[5] == '/') t = t.substr(6, 4) + "-" + t.substr(3, 2) + "-" + t.substr(0, 2);
    auto d = Date::parseIso(t);
    return d ? d->iso() : std::string();
}

} // namespace

void addInboxPages(http::Router& router, const WebApp& app, const WebServices& services) {
    auto transmissions = services.transmissions;
    if (!transmissions) return;
    const forms::FormRegistry& forms = *services.dossiers->renderer()->catalog().forms;

    app.page(router, "GET", "/recus", [&app, transmissions, &forms](Page& page) {
        if (!isRecipient(page.caller)) return app.notFound(page);
        service::ReceivedFilter f;
        f.text = page.query.get("q");
        f.form = page.query.get("formulaire");
        f.senderOrgId = page.query.get("expediteur");
        f.from = isoDay(page.query.get("du"));
        f.to = isoDay(page.query.get("au"));
        f.state = page.query.get("etat");
        if (f.state != "nouveau" && f.state != "lu") f.state.clear();
        mstch::array dateErrors;
        if (!page.query.get("du").empty() && f.from.empty())
            dateErrors.push_back(mstch::map{{"id", std::string("du")}, {"message", std::string("« Reçu à partir du » : saisissez une date sous la forme jj/mm/aaaa.")}});
        if (!page.query.get("au").empty() && f.to.empty())
            dateErrors.push_back(mstch::map{{"id", std::string("au")}, {"message", std::string("« Reçu jusqu’au » : saisissez une date sous la forme jj/mm/aaaa.")}});
        const int pageNo = kit::pageNumber(page.query.get("page"));
        f.limit = COPIES_PER_PAGE;
        f.offset = (pageNo - 1) * COPIES_PER_PAGE;
        auto inbox = transmissions->searchReceived(page.caller, f);
        if (!inbox.isOk()) return app.errorPage(page, inbox.status());
        const auto& in = inbox.value();
        mstch::array rows;
        for (const auto& c : in.items) {
            const auto& t = c.transmission;
            mstch::map row{{"id", t.id},
                           {"formTitle", kit::formTitle(forms, t.form)},
                           {"sender", c.senderName},
                           {"dossierReference", c.dossierReference.empty() ? std::string("—") : c.dossierReference},
                           {"date", kit::parisDateTimeOfIso(t.createdAt)},
                           {"isNew", !c.readAtMs},
                           {"isSiaoCopy", !t.copyOf.empty()}};
            if (c.consent && c.consent->withdrawnAt) row["withdrawnAt"] = kit::parisDay(*c.consent->withdrawnAt);
            rows.push_back(row);
        }
        mstch::array formOptions{mstch::map{{"value", std::string()}, {"label", std::string("Tous")}, {"selected", f.form.empty()}}};
        for (const auto& id : in.forms)
            formOptions.push_back(mstch::map{{"value", id}, {"label", kit::formTitle(forms, id)}, {"selected", id == f.form}});
        mstch::array senderOptions{mstch::map{{"value", std::string()}, {"label", std::string("Toutes")}, {"selected", f.senderOrgId.empty()}}};
        for (const auto& [id, name] : in.senders)
            senderOptions.push_back(mstch::map{{"value", id}, {"label", name}, {"selected", id == f.senderOrgId}});
        mstch::array states;
        for (const auto& [v, l] : std::vector<std::pair<std::string, std::string>>{{"", "Tous"}, {"nouveau", "Nouveaux"}, {"lu", "Lus"}})
            states.push_back(mstch::map{{"value", v}, {"label", l}, {"selected", v == f.state}});
        const bool filtered = !f.text.empty() || !f.form.empty() || !f.senderOrgId.empty() || !f.from.empty() || !f.to.empty() || !f.state.empty();
        std::string summary;
        if (in.total == 0) summary = filtered ? "Aucun document reçu ne correspond à votre recherche." : "Aucun document reçu pour l’instant.";
        else summary = std::to_string(in.total) + (in.total > 1 ? " documents reçus" : " document reçu") +
                       (filtered ? " correspondant à votre recherche" : "") + ".";
        if (in.unread > 0) summary += " " + std::to_string(in.unread) + (in.unread > 1 ? " nouveaux au total." : " nouveau au total.");
        mstch::map ctx{{"q", f.text},
                       {"du", page.query.get("du")},
                       {"au", page.query.get("au")},
                       {"formOptions", formOptions},
                       {"senderOptions", senderOptions},
                       {"states", states},
                       {"copies", rows},
                       {"summary", summary},
                       {"errors", dateErrors},
                       {"isSiao", page.caller.kind == "siao"}};
        const std::int64_t pages = std::max<std::int64_t>(1, (in.total + COPIES_PER_PAGE - 1) / COPIES_PER_PAGE);
        auto link = [&](int n) {
            std::string l = "/recus?page=" + std::to_string(n);
            if (!f.text.empty()) l += "&q=" + kit::urlEncode(f.text);
            if (!f.form.empty()) l += "&formulaire=" + kit::urlEncode(f.form);
            if (!f.senderOrgId.empty()) l += "&expediteur=" + kit::urlEncode(f.senderOrgId);
            if (!f.from.empty()) l += "&du=" + f.from;
            if (!f.to.empty()) l += "&au=" + f.to;
            if (!f.state.empty()) l += "&etat=" + f.state;
            return l;
        };
        if (pages > 1) {
            mstch::map p{{"page", std::to_string(pageNo)}, {"pages", std::to_string(pages)}};
            if (pageNo > 1) p["previous"] = link(pageNo - 1);
            if (pageNo < pages) p["next"] = link(pageNo + 1);
            ctx["pagination"] = p;
        }
        std::string title = "Documents reçus";
        if (pages > 1) title += " (page " + std::to_string(pageNo) + " sur " + std::to_string(pages) + ")";
        return app.render(page, "recus", ctx, dateErrors.empty() ? title : "Erreur : " + title, dateErrors.empty() ? 200 : 400);
    });

    app.page(router, "GET", std::string("/recus/") + kit::TRANSMISSION_ID, [&app, transmissions, &forms](Page& page) {
        if (!isRecipient(page.caller)) return app.notFound(page);
        auto copy = transmissions->openReceived(page.caller, page.request.params.at(0));
        if (!copy.isOk()) return app.errorPage(page, copy.status());
        const auto& c = copy.value();
        const auto& t = c.transmission;
        auto def = forms.find(t.form);
        Poco::JSON::Object::Ptr data;
        try {
            data = Poco::JSON::Parser().parse(t.permittedJson).extract<Poco::JSON::Object::Ptr>();
        } catch (...) {
        }
        mstch::array sections = def && data ? copySections(*def, data) : mstch::array{};
        mstch::array files;
        for (const auto& a : t.artefacts)
            files.push_back(mstch::map{{"href", "/recus/" + t.id + "." + a.format},
                                       {"label", std::string(a.format == "pdf" ? "Télécharger le PDF" : "Télécharger le classeur XLSX")},
                                       {"size", std::to_string((a.size + 1023) / 1024) + " Ko"}});
        mstch::map ctx{{"id", t.id},
                       {"formTitle", kit::formTitle(forms, t.form)},
                       {"sender", c.senderName},
                       {"referent", c.referentName.empty() ? std::string("—") : c.referentName},
                       {"dossierReference", c.dossierReference.empty() ? std::string("—") : c.dossierReference},
                       {"documentReference", t.documentId + "-r" + std::to_string(t.revision)},
                       {"date", kit::parisDateTimeOfIso(t.createdAt)},
                       {"files", files},
                       {"sections", sections},
                       {"isSiaoCopy", !t.copyOf.empty()}};
        if (c.consent) {
            ctx["consent"] = consentOf(*c.consent, forms);
            if (c.consent->withdrawnAt) ctx["withdrawnAt"] = kit::parisDay(*c.consent->withdrawnAt);
        }
        return app.render(page, "recu", ctx, kit::formTitle(forms, t.form) + " reçu de " + c.senderName);
    });

    app.page(router, "GET", std::string("/recus/") + kit::TRANSMISSION_ID + "\\.(pdf|xlsx)", [&app, transmissions](Page& page) {
        if (!isRecipient(page.caller)) return app.notFound(page);
        const std::string& id = page.request.params.at(0);
        auto a = transmissions->downloadReceived(page.caller, id, page.request.params.at(1));
        if (!a.isOk()) return app.errorPage(page, a.status());
        Reply r = kit::download(a.value().bytes, a.value().contentType, id + "." + page.request.params.at(1), /*inlineView=*/false);
        r.headers["ETag"] = "\"" + a.value().sha256 + "\"";
        return r;
    });
}

} // namespace passerelle::web
