// « Transmettre » (issue 12, association): the choice of the bailleur, the
// gate's decision in plain French before anything goes (what goes, what is
// withheld and why, which consent governs, whether the SIAO gets a copy, what
// is missing when refused), the confirmation POST, and the transmission's page
// with its delivery state. The decision is always the service's
// (previewTransmission / transmit): this file only puts it into words.
#include "web/TransmissionPages.h"

#include <algorithm>

#include <Poco/JSON/Parser.h>

#include "forms/FormRegistry.h"
#include "web/CopyContent.h"
#include "web/PageKit.h"

namespace passerelle::web {

using http::Reply;

namespace {

const forms::FormRegistry& formsOf(const WebServices& s) { return *s.dossiers->renderer()->catalog().forms; }

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

// The push state of an outbox message, in French.
std::string pushText(const storage::OutboxStatus& m) {
    if (m.delivered)
        return "Poussé au webhook du destinataire" + (m.deliveredAtMs ? " le " + kit::parisDateTimeMs(*m.deliveredAtMs) : "") + ".";
    if (m.cancelled)
        return "Envoi automatique annulé : " + kit::cancelReasonText(m.cancelReason) + " ; rien n’a été envoyé.";
    if (m.dead)
        return "Échec de l’envoi automatique au webhook après " + std::to_string(m.attempts) + " tentative" +
               (m.attempts > 1 ? "s" : "") + (m.lastError.empty() ? "" : " (" + m.lastError + ")") +
               " : le destinataire peut toujours le lire dans Passerelle.";
    return "Envoi automatique au webhook en cours (" + std::to_string(m.attempts) + " tentative" +
           (m.attempts > 1 ? "s" : "") + " jusqu’ici).";
}

} // namespace

mstch::map consentCard(const service::ConsentView& v, const forms::FormRegistry& forms) {
    const auto& r = v.record;
    mstch::map m{{"id", r.id},
                 {"recipient", v.recipientName},
                 {"state", v.state},
                 {"stateLabel", kit::consentStateLabel(v.state)},
                 {"isConsent", r.kind == "consent"},
                 {"decision", std::string(r.kind == "consent" ? "Consentement" : "Refus")},
                 {"givenAt", kit::parisDay(r.givenAt)},
                 {"givenBy", r.givenByName + (r.givenByCapacity == "legal_representative" ? " (représentant légal)" : "")},
                 {"documents", joinTitles(r.documentKinds, forms)},
                 {"categories", joinCategories(r.categories)},
                 {"method", std::string(r.howMethod == "signed_autorisation" ? "Autorisation de transmission signée"
                                                                             : "Recueilli en personne")
                                + (r.recordedBy.empty() ? std::string() : " par " + r.recordedBy)},
                 {"copieSiao", std::string(r.copieSiao ? "Oui" : "Non")},
                 {"withdrawable", r.kind == "consent" && !r.withdrawnAt && v.state != "remplace"}};
    if (r.expiresAt) m["expiresAt"] = kit::parisDay(*r.expiresAt);
    if (r.withdrawnAt) m["withdrawnAt"] = kit::parisDay(*r.withdrawnAt);
    if (!r.purpose.empty()) m["purpose"] = r.purpose;
    return m;
}

std::vector<TimelineEvent> deliveryEvents(const std::vector<service::DeliveryView>& deliveries,
                                          const std::string& documentTitle) {
    std::vector<TimelineEvent> out;
    for (const auto& d : deliveries) {
        const auto& t = d.status.transmission;
        const bool siao = !t.copyOf.empty();
        const std::string who = d.status.recipientName.empty() ? t.recipientOrgId : d.status.recipientName;
        std::string what = siao ? "Copie au SIAO transmise à " : t.allowed ? "Transmis à " : "Transmission refusée à ";
        std::string detail;
        if (!t.allowed) detail = "Motif : " + kit::reasonText(t.decisionCode).title + ".";
        else detail = "Envoyé.";
        out.push_back({t.createdAt, t.allowed ? "transmission" : "refus",
                       what + who + " : " + documentTitle + ", révision " + std::to_string(t.revision), detail});
        if (d.readAtMs) {
            TimelineEvent e;
            e.at = consent::Instant{*d.readAtMs / 1000}.iso();
            e.kind = "lecture";
            e.title = "Lu par " + std::string(siao ? "" : "le bailleur ") + who + (siao ? " (SIAO)" : "") + " : " + documentTitle;
            out.push_back(e);
        }
        if (!d.status.push.empty()) {
            const auto& m = d.status.push.back();
            TimelineEvent e;
            e.kind = m.delivered ? "envoi" : (m.dead || m.cancelled) ? "echec" : "envoi";
            e.at = m.deliveredAtMs ? consent::Instant{*m.deliveredAtMs / 1000}.iso() : t.createdAt;
            e.title = std::string(m.delivered ? "Poussé à " : m.cancelled ? "Envoi automatique annulé à " : m.dead ? "Échec de l’envoi automatique à " : "Envoi automatique en cours à ") +
                      who + " : " + documentTitle;
            e.detail = pushText(m);
            out.push_back(e);
        }
    }
    return out;
}

void addTransmissionPages(http::Router& router, const WebApp& app, const WebServices& services) {
    addTransmitPages(router, app, services);
    addConsentPages(router, app, services);
    addInboxPages(router, app, services);
}

void addTransmitPages(http::Router& router, const WebApp& app, const WebServices& services) {
    auto dossiers = services.dossiers;
    auto transmissions = services.transmissions;
    if (!transmissions) return;

    // The page: the bailleurs of the partnership to choose from, then the gate's decision.
    auto transmitPage = [&app, dossiers, transmissions, services](Page& page, const std::string& chosen, const std::string& banner) {
        if (page.caller.kind != "association") return app.notFound(page);
        const std::string& docId = page.request.params.at(0);
        auto doc = dossiers->getDocument(page.caller, docId, 0);
        if (!doc.isOk()) return app.errorPage(page, doc.status());
        const auto& document = doc.value().document;
        if (document.dossierId.empty()) return app.notFound(page);
        auto dossier = dossiers->getDossier(page.caller, document.dossierId);
        if (!dossier.isOk()) return app.errorPage(page, dossier.status());
        const auto& forms = formsOf(services);
        const std::string title = kit::formTitle(forms, document.form);
        auto landlords = transmissions->partnerLandlords(page.caller);
        if (!landlords.isOk()) return app.errorPage(page, landlords.status());
        std::string to = chosen;
        if (to.empty() && landlords.value().size() == 1 && page.query.get("choisir") != "1") to = landlords.value().front().id;
        bool known = false;
        mstch::array choices;
        for (const auto& l : landlords.value()) {
            if (l.id == to) known = true;
            choices.push_back(mstch::map{{"id", l.id}, {"name", l.name}, {"checked", l.id == to}});
        }
        const std::string reference = dossier.value().reference.empty() ? std::string("(sans référence)") : dossier.value().reference;
        mstch::map ctx{{"documentId", docId},
                       {"dossierId", document.dossierId},
                       {"dossierReference", reference},
                       {"formTitle", title},
                       {"revision", std::to_string(document.currentRevision)},
                       {"choices", choices},
                       {"noLandlord", landlords.value().empty()}};
        if (!banner.empty()) ctx["banner"] = banner;
        if (!to.empty() && !known) ctx["unknownChoice"] = true;
        if (to.empty() || !known) return app.render(page, "transmettre", ctx, "Transmettre : " + title);

        auto preview = transmissions->previewTransmission(page.caller, docId, to);
        if (!preview.isOk()) return app.errorPage(page, preview.status());
        const auto& p = preview.value();
        const auto& d = p.decision;
        mstch::map decision{{"allowed", d.allowed},
                            {"recipientId", p.recipient.id},
                            {"recipient", p.recipient.name},
                            {"message", d.message}};
        if (p.consent) decision["consent"] = consentCard(*p.consent, forms);
        if (d.allowed) {
            auto def = forms.find(p.form);
            mstch::array sections = def ? copySections(*def, p.permittedData) : mstch::array{};
            decision["sections"] = sections;
            decision["hasSections"] = !sections.empty();
            mstch::array withheld;
            for (const auto& [path, why] : p.withheld)
                withheld.push_back(mstch::map{{"label", def ? fieldLabelPath(*def, path) : path}, {"why", kit::exclusionLabel(why)}});
            decision["withheld"] = withheld;
            decision["hasWithheld"] = !withheld.empty();
            if (p.siaoCopy) decision["siao"] = "Le SIAO « " + p.siaoName + " » recevra la même copie que le bailleur, comme le ménage l’a accepté.";
            else if (!p.siaoId.empty())
                decision["siao"] = "Le SIAO « " + p.siaoName + " » ne recevra pas de copie : le ménage n’a pas accepté la copie au SIAO.";
            else decision["siao"] = std::string("Aucune copie au SIAO : ce partenariat n’en désigne pas.");
        } else {
            kit::ReasonText why = kit::reasonText(d.code());
            decision["reasonTitle"] = why.title;
            decision["advice"] = why.advice;
            decision["code"] = std::string(d.code());
            if (why.recordConsent)
                decision["recordConsentHref"] = "/dossiers/" + document.dossierId + "/consentements/nouveau?destinataire=" +
                                                kit::urlEncode(p.recipient.id) + "&formulaire=" + kit::urlEncode(p.form);
        }
        ctx["decision"] = decision;
        ctx["chooseAnother"] = landlords.value().size() > 1;
        return app.render(page, "transmettre", ctx,
                          (d.allowed ? "Transmettre : " : "Transmission impossible : ") + title + " à " + p.recipient.name);
    };

    app.page(router, "GET", std::string("/documents/") + kit::DOCUMENT_ID + "/transmettre", [transmitPage](Page& page) {
        std::string banner;
        if (page.query.get("refus") == "1")
            banner = "La transmission n’a pas eu lieu : le contrôle du consentement l’a refusée au moment de l’envoi. "
                     "Rien n’a été envoyé ; la décision ci-dessous est celle qui s’applique maintenant.";
        return transmitPage(page, page.query.get("destinataire"), banner);
    });

    // The confirmation: transmit() decides again, at this instant, and sends only if allowed.
    app.page(router, "POST", std::string("/documents/") + kit::DOCUMENT_ID + "/transmettre", [&app, transmissions](Page& page) {
        if (page.caller.kind != "association") return app.notFound(page);
        const std::string& docId = page.request.params.at(0);
        const std::string to = page.form.get("destinataire");
        auto landlords = transmissions->partnerLandlords(page.caller);
        if (!landlords.isOk()) return app.errorPage(page, landlords.status());
        bool known = std::any_of(landlords.value().begin(), landlords.value().end(), [&](const auto& o) { return o.id == to; });
        if (!known)
            return app.redirect("/documents/" + docId + "/transmettre");
        auto t = transmissions->transmit(page.caller, docId, to);
        if (!t.isOk()) {
            const auto code = t.status().code();
            if (code == Status::Code::PermissionDenied || code == Status::Code::FailedPrecondition)
                return app.redirect("/documents/" + docId + "/transmettre?destinataire=" + kit::urlEncode(to) + "&refus=1");
            return app.errorPage(page, t.status());
        }
        return app.redirect("/documents/" + docId + "/transmissions/" + t.value().id + "?envoye=1");
    });

    // One transmission as its association sees it: to whom, when, what was withheld, delivery state.
    app.page(router, "GET", std::string("/documents/") + kit::DOCUMENT_ID + "/transmissions/" + kit::TRANSMISSION_ID,
             [&app, dossiers, transmissions, services](Page& page) {
                 if (page.caller.kind != "association") return app.notFound(page);
                 const std::string& docId = page.request.params.at(0);
                 const std::string& trnId = page.request.params.at(1);
                 auto doc = dossiers->getDocument(page.caller, docId, 0);
                 if (!doc.isOk()) return app.errorPage(page, doc.status());
                 auto deliveries = transmissions->documentDeliveries(page.caller, docId);
                 if (!deliveries.isOk()) return app.errorPage(page, deliveries.status());
                 const service::DeliveryView* main = nullptr;
                 const service::DeliveryView* copy = nullptr;
                 for (const auto& d : deliveries.value()) {
                     if (d.status.transmission.id == trnId) main = &d;
                     if (d.status.transmission.copyOf == trnId) copy = &d;
                 }
                 if (!main) return app.notFound(page);
                 const auto& forms = formsOf(services);
                 const auto& t = main->status.transmission;
                 auto def = forms.find(t.form);
                 const std::string title = kit::formTitle(forms, t.form);
                 auto state = [](const service::DeliveryView& d) {
                     mstch::array lines;
                     const auto& tr = d.status.transmission;
                     if (!tr.allowed) {
                         lines.push_back(mstch::map{{"text", "Refusée : " + kit::reasonText(tr.decisionCode).title + ". Rien n’a été envoyé."}});
                         return lines;
                     }
                     lines.push_back(mstch::map{{"text", "Envoyé le " + kit::parisDateTimeOfIso(tr.createdAt) + "."}});
                     lines.push_back(mstch::map{{"text", d.readAtMs ? "Lu par le destinataire le " + kit::parisDateTimeMs(*d.readAtMs) + "."
                                                                    : std::string("Pas encore lu par le destinataire.")}});
                     if (d.status.push.empty())
                         lines.push_back(mstch::map{{"text", std::string("Pas d’envoi automatique : le destinataire n’a pas déclaré de webhook.")}});
                     else lines.push_back(mstch::map{{"text", pushText(d.status.push.back())}});
                     return lines;
                 };
                 mstch::array withheld;
                 try {
                     Poco::JSON::Parser parser;
                     auto ex = parser.parse(t.excludedJson).extract<Poco::JSON::Object::Ptr>();
                     for (const auto& path : ex->getNames())
                         withheld.push_back(mstch::map{{"label", def ? fieldLabelPath(*def, path) : path},
                                                       {"why", kit::exclusionLabel(ex->getValue<std::string>(path))}});
                 } catch (...) {
                 }
                 mstch::map ctx{{"documentId", docId},
                                {"dossierId", t.dossierId},
                                {"formTitle", title},
                                {"revision", std::to_string(t.revision)},
                                {"recipient", main->status.recipientName},
                                {"allowed", t.allowed},
                                {"date", kit::parisDateTimeOfIso(t.createdAt)},
                                {"transmissionId", t.id},
                                {"lines", state(*main)},
                                {"withheld", withheld},
                                {"sent", page.query.get("envoye") == "1" && t.allowed}};
                 if (!t.allowed) ctx["reason"] = kit::reasonText(t.decisionCode).title;
                 if (copy) {
                     ctx["siao"] = mstch::map{{"name", copy->status.recipientName}, {"lines", state(*copy)}};
                 }
                 return app.render(page, "transmission", ctx, "Transmission : " + title + " à " + main->status.recipientName);
             });
}

} // namespace passerelle::web
