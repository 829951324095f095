// Consents on the dossier (issue 12, association): record one (in person, or
// on a signed autorisation already in the dossier), withdraw one in one click
// after a confirmation page, print the household's receipt. Every rule is
// service::TransmissionService's (recordConsent validates, withdrawConsent
// takes effect at once); the pages build its JSON body from the form, whose
// inputs are named by the JSON pointers of the body, so that its errors land
// on their inputs.
#include "web/TransmissionPages.h"

#include <algorithm>
#include <set>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include "common/Date.h"
#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"
#include "service/AutorisationEvidence.h"
#include "web/PageKit.h"

namespace passerelle::web {

using http::Reply;

namespace {

// Categories a consent may usefully cover: those of the housing-related fields of the
// household forms (the others never go, whatever the consent says), in the catalogue's order.
std::vector<std::string> housingCategories(const forms::FormRegistry& forms) {
    std::set<std::string> found;
    std::function<void(const std::vector<forms::FieldDef>&, bool)> walk = [&](const std::vector<forms::FieldDef>& fields,
                                                                               bool excluded) {
        for (const auto& f : fields) {
            const bool out = excluded || !f.housing;
            if (!out && !f.category.empty()) found.insert(f.category);
            for (const auto& [value, rc] : f.rowCategories)
                if (!out && rc.housing) found.insert(rc.category);
            walk(f.fields, out);
        }
    };
    for (const auto& def : forms.all())
        if (def->personalData) walk(def->fields, false);
    std::vector<std::string> out;
    // The gate's table has the last word: a category that never goes is never offered.
    for (const auto& c : consent::categoryTable())
        if (c.transmissible && found.count(c.code)) out.push_back(c.code);
    return out;
}

// "2026-11-22" or "22/11/2026".
std::optional<Date> parseDay(const std::string& text) {
    std::string t = Poco::trim(text);
    if (t.size() == 10 && t[2] == '/' && t[5] == '/') t = t.substr(6, 4) + "-" + t.substr(3, 2) + "-" + t.substr(0, 2);
    return Date::parseIso(t);
}

} // namespace

mstch::array consentRows(const std::vector<service::ConsentView>& consents, const forms::FormRegistry& forms,
                         const std::string& dossierId) {
    mstch::array rows;
    // Newest first: the record that governs comes at the top.
    for (auto it = consents.rbegin(); it != consents.rend(); ++it) {
        mstch::map card = consentCard(*it, forms);
        card["dossierId"] = dossierId;
        rows.push_back(card);
    }
    return rows;
}

void addConsentPages(http::Router& router, const WebApp& app, const WebServices& services) {
    auto dossiers = services.dossiers;
    auto transmissions = services.transmissions;
    if (!transmissions) return;
    const forms::FormRegistry& forms = *dossiers->renderer()->catalog().forms;

    // --- Record a consent (or a refusal) -------------------------------------------------
    auto newConsentPage = [&app, dossiers, transmissions, &forms](Page& page, const Status& st, bool posted) {
        if (page.caller.kind != "association") return app.notFound(page);
        const std::string& dossierId = page.request.params.at(0);
        auto dossier = dossiers->getDossier(page.caller, dossierId);
        if (!dossier.isOk()) return app.errorPage(page, dossier.status());
        auto landlords = transmissions->partnerLandlords(page.caller);
        if (!landlords.isOk()) return app.errorPage(page, landlords.status());
        mstch::array summary;
        std::map<std::string, std::string> errors;
        if (!st.isOk()) errors = kit::errorsByPointer(st, summary, "/kind");
        auto value = [&](const std::string& name, const std::string& fallback = "") {
            return posted ? page.form.get(name) : fallback;
        };
        auto err = [&](mstch::map& m, const std::string& pointer) {
            auto e = errors.find(pointer);
            if (e != errors.end()) m["error"] = e->second;
            // A scope error names the list or one of its items ("/scope/documentKinds/0").
            for (const auto& [p, message] : errors)
                if (!m.count("error") && p.compare(0, pointer.size() + 1, pointer + "/") == 0) m["error"] = message;
            m["id"] = kit::idOfPointer(pointer);
            m["name"] = pointer;
            return m;
        };
        const std::string kind = value("/kind", "consent");
        const std::string recipient = value("/recipient", page.query.get("destinataire"));
        mstch::array recipients;
        for (const auto& l : landlords.value())
            recipients.push_back(mstch::map{{"value", l.id}, {"label", l.name}, {"checked", l.id == recipient || landlords.value().size() == 1}});
        std::set<std::string> kinds;
        if (posted) for (const auto& k : page.form.all("/scope/documentKinds")) kinds.insert(k);
        else if (!page.query.get("formulaire").empty()) kinds.insert(page.query.get("formulaire"));
        mstch::array kindOptions;
        int i = 0;
        for (const auto& def : forms.all()) {
            if (!def->personalData || def->id == "recu-consentements" || def->id == "autorisation-transmission") continue;
            kindOptions.push_back(mstch::map{{"value", def->id}, {"label", def->title}, {"checked", kinds.count(def->id) > 0},
                                             {"optionId", "scope-documentKinds-" + std::to_string(i++)}});
        }
        std::set<std::string> cats;
        for (const auto& c : page.form.all("/scope/categories")) cats.insert(c);
        mstch::array categoryOptions;
        i = 0;
        for (const auto& c : housingCategories(forms))
            categoryOptions.push_back(mstch::map{{"value", c}, {"label", forms::categoryLabel(c)}, {"checked", cats.count(c) > 0},
                                                 {"optionId", "scope-categories-" + std::to_string(i++)}});
        // The autorisations de transmission of the dossier, for "signed_autorisation".
        service::DocumentFilter filter;
        filter.dossierId = dossierId;
        filter.limit = 200;
        mstch::array autorisations;
        auto docs = dossiers->listDocuments(page.caller, filter);
        if (docs.isOk())
            for (const auto& d : docs.value().items)
                if (d.form == "autorisation-transmission")
                    autorisations.push_back(mstch::map{{"value", d.id},
                                                       {"label", "Autorisation " + d.id + " du " + frenchDate(d.createdAt)},
                                                       {"selected", value("/how/documentId") == d.id}});
        const std::string method = value("/how/method", "in_person");
        mstch::map kindField, recipientField, nameField, capacityField, kindsField, catsField, methodField, recordedByField,
            autorisationField, expiresField, measureField, purposeField, siaoField, scanField, lateField, givenAtField;
        mstch::map ctx{
            {"dossierId", dossierId},
            {"dossierReference", dossier.value().reference.empty() ? std::string("(sans référence)") : dossier.value().reference},
            {"errors", summary},
            {"kindField", err(kindField, "/kind")},
            {"isConsent", kind != "refusal"},
            {"isRefusal", kind == "refusal"},
            {"recipientField", err(recipientField, "/recipient")},
            {"recipients", recipients},
            {"noLandlord", landlords.value().empty()},
            {"nameField", err(nameField, "/givenBy/name")},
            {"givenByName", value("/givenBy/name")},
            {"capacityField", err(capacityField, "/givenBy/capacity")},
            {"isLegal", value("/givenBy/capacity") == "legal_representative"},
            {"kindsField", err(kindsField, "/scope/documentKinds")},
            {"kindOptions", kindOptions},
            {"catsField", err(catsField, "/scope/categories")},
            {"categoryOptions", categoryOptions},
            {"siaoField", err(siaoField, "/copieSiao")},
            {"copieSiao", value("/copieSiao") == "true"},
            {"methodField", err(methodField, "/how/method")},
            {"inPerson", method != "signed_autorisation"},
            {"signed", method == "signed_autorisation"},
            {"recordedByField", err(recordedByField, "/how/recordedBy")},
            {"recordedBy", value("/how/recordedBy", page.caller.userName)},
            {"autorisationField", err(autorisationField, "/how/documentId")},
            {"autorisations", autorisations},
            // Issue 11 item 4: the signed paper's scan, checked by the use case (AutorisationEvidence.h).
            {"scanField", err(scanField, "/how/scan")},
            {"scanLimits", std::string("Un PDF, une image PNG ou une image JPEG, de ") + service::MAX_SCAN_LABEL + " au plus."},
            {"lateField", err(lateField, "/how/lateEntry")},
            {"lateEntry", value("/how/lateEntry") == "true"},
            {"givenAtField", err(givenAtField, "/givenAt")},
            {"givenAt", value("/givenAt")},
            {"expiresField", err(expiresField, "/expiresAt")},
            {"expiresAt", value("/expiresAt")},
            {"measureField", err(measureField, "/measureEnd")},
            {"measureEnd", value("/measureEnd")},
            {"purposeField", err(purposeField, "/purpose")},
            {"purpose", value("/purpose", "Transmission au bailleur des informations liées au logement, pour le suivi de l’accompagnement.")}};
        // « Faire signer l’autorisation » (issue 10/11): a new autorisation de transmission in this
        // dossier, which the household reads (with the landlord's copy) and signs on the tablet; the
        // consent is then derived from it on /documents/{id}/consentement (web/sign/SigningPages).
        // The household's members the dossier names: only they (or a legal representative) may answer.
        std::vector<std::string> names;
        if (auto menage = forms::parseJsonObject(dossier.value().menageJson); menage.isOk() && menage.value())
            if (auto list = menage.value()->getArray("membres"))
                for (unsigned m = 0; m < list->size(); ++m)
                    if (auto p = list->getObject(m)) {
                        std::string name = Poco::trim(p->optValue<std::string>("prenom", "") + " " + p->optValue<std::string>("nom", ""));
                        if (!name.empty()) names.push_back(name);
                    }
        mstch::array members;
        for (std::size_t m = 0; m < names.size(); ++m)
            members.push_back(mstch::map{{"name", names[m]}, {"last", m + 1 == names.size()}});
        ctx["members"] = members;
        ctx["hasMembers"] = !names.empty();
        ctx["signingHref"] = std::string("/dossiers/") + dossierId + "/documents/nouveau?formulaire=autorisation-transmission";
        return app.render(page, "consentement-nouveau", ctx,
                          summary.empty() ? "Enregistrer un consentement" : "Erreur : enregistrer un consentement",
                          summary.empty() ? 200 : 400);
    };
    app.page(router, "GET", std::string("/dossiers/") + kit::DOSSIER_ID + "/consentements/nouveau",
             [newConsentPage](Page& page) { return newConsentPage(page, Status::ok(), false); });

    app.page(router, "POST", std::string("/dossiers/") + kit::DOSSIER_ID + "/consentements",
             [&app, transmissions, newConsentPage](Page& page) {
                 if (page.caller.kind != "association") return app.notFound(page);
                 const std::string& dossierId = page.request.params.at(0);
                 std::vector<FieldError> errors;
                 Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
                 const std::string kind = page.form.get("/kind");
                 body->set("kind", kind);
                 body->set("recipient", page.form.get("/recipient"));
                 Poco::JSON::Object::Ptr givenBy = new Poco::JSON::Object;
                 const std::string name = Poco::trim(page.form.get("/givenBy/name"));
                 if (name.empty())
                     errors.push_back({"/givenBy/name", "required", "Saisissez le nom de la personne du ménage qui donne sa réponse."});
                 givenBy->set("name", name);
                 givenBy->set("capacity", page.form.get("/givenBy/capacity", "household_member"));
                 body->set("givenBy", givenBy);
                 const std::string method = page.form.get("/how/method", "in_person");
                 // On a signed autorisation the terms are the ones the household signed (the use case takes
                 // them from it): the page's scope, purpose and dates are not sent, so they cannot contradict it.
                 if (kind != "refusal" && method != "signed_autorisation") {
                     Poco::JSON::Object::Ptr scope = new Poco::JSON::Object;
                     Poco::JSON::Array::Ptr kinds = new Poco::JSON::Array, cats = new Poco::JSON::Array;
                     for (const auto& k : page.form.all("/scope/documentKinds")) kinds->add(k);
                     for (const auto& c : page.form.all("/scope/categories")) cats->add(c);
                     if (kinds->size() == 0)
                         errors.push_back({"/scope/documentKinds", "required", "Cochez au moins un document que le ménage accepte de transmettre."});
                     if (cats->size() == 0)
                         errors.push_back({"/scope/categories", "required", "Cochez au moins un type d’information que le ménage accepte de transmettre."});
                     scope->set("documentKinds", kinds);
                     scope->set("categories", cats);
                     body->set("scope", scope);
                     body->set("copieSiao", page.form.get("/copieSiao") == "true");
                     const std::string purpose = Poco::trim(page.form.get("/purpose"));
                     if (!purpose.empty()) body->set("purpose", purpose);
                     const std::string expires = page.form.get("/expiresAt");
                     if (!Poco::trim(expires).empty()) {
                         auto day = parseDay(expires);
                         // Valid through the whole chosen day: it ends at 00:00 Europe/Paris the next day.
                         if (!day) errors.push_back({"/expiresAt", "format", "Saisissez la date sous la forme jj/mm/aaaa."});
                         else body->set("expiresAt", consent::Instant::parisMidnight(day->addDays(1)).iso());
                     }
                     const std::string measure = page.form.get("/measureEnd");
                     if (!Poco::trim(measure).empty()) {
                         auto day = parseDay(measure);
                         if (!day) errors.push_back({"/measureEnd", "format", "Saisissez la date sous la forme jj/mm/aaaa."});
                         else body->set("measureEnd", day->iso());
                     }
                 }
                 Poco::JSON::Object::Ptr how = new Poco::JSON::Object;
                 how->set("method", method);
                 if (method == "signed_autorisation") how->set("documentId", page.form.get("/how/documentId"));
                 // The paper autorisation entered late: its scan (the file input), the day it was signed.
                 std::optional<service::ScanUpload> scan;
                 for (const auto& f : page.files)
                     if (f.name == "/how/scan" && !(f.fileName.empty() && f.bytes.empty())) scan = service::ScanUpload{f.contentType, f.bytes};
                 if (page.form.get("/how/lateEntry") == "true") how->set("lateEntry", true);
                 const std::string paperDay = page.form.get("/givenAt");
                 if (!Poco::trim(paperDay).empty()) {
                     auto day = parseDay(paperDay);
                     // 00:00 in Paris that day: the day the household signed (never in the future when it is today).
                     if (!day) errors.push_back({"/givenAt", "format", "Saisissez la date sous la forme jj/mm/aaaa."});
                     else body->set("givenAt", consent::Instant::parisMidnight(*day).iso());
                 }
                 const std::string recordedBy = Poco::trim(page.form.get("/how/recordedBy"));
                 if (method == "in_person" && recordedBy.empty())
                     errors.push_back({"/how/recordedBy", "required", "Saisissez le nom du référent qui a recueilli la réponse du ménage."});
                 if (!recordedBy.empty()) how->set("recordedBy", recordedBy);
                 body->set("how", how);
                 if (!errors.empty())
                     return newConsentPage(page, Status::invalidArgument("consent_record_invalid",
                                                                         "L’enregistrement du consentement contient des erreurs.", errors),
                                           true);
                 auto recorded = transmissions->recordConsent(page.caller, dossierId, body, scan ? &*scan : nullptr);
                 if (!recorded.isOk()) {
                     if (recorded.status().code() == Status::Code::InvalidArgument) return newConsentPage(page, recorded.status(), true);
                     // An autorisation neither signed nor scanned: said on the scan's input, which is the remedy on this page.
                     if (recorded.status().errorCode() == "autorisation_not_signed")
                         return newConsentPage(page,
                                               Status::invalidArgument("consent_record_invalid", recorded.status().message(),
                                                                       {{"/how/scan", "autorisation_not_signed", recorded.status().message()}}),
                                               true);
                     return app.errorPage(page, recorded.status());
                 }
                 return app.redirect("/dossiers/" + dossierId + "?message=" +
                                     (recorded.value().record.kind == "refusal" ? "refus" : "consentement") + "#consentements");
             });

    // --- Withdraw: a confirmation page, then one POST ---------------------------------------
    auto findConsent = [transmissions](const Page& page, const std::string& dossierId,
                                       const std::string& consentId) -> Result<service::ConsentView> {
        auto list = transmissions->listConsents(page.caller, dossierId);
        if (!list.isOk()) return list.status();
        for (const auto& v : list.value())
            if (v.record.id == consentId) return v;
        return Status::notFound("consent_not_found", "Consentement introuvable : " + consentId);
    };
    app.page(router, "GET", std::string("/dossiers/") + kit::DOSSIER_ID + "/consentements/" + kit::CONSENT_ID + "/retirer",
             [&app, findConsent, &forms](Page& page) {
                 if (page.caller.kind != "association") return app.notFound(page);
                 auto c = findConsent(page, page.request.params.at(0), page.request.params.at(1));
                 if (!c.isOk()) return app.errorPage(page, c.status());
                 mstch::map ctx{{"dossierId", page.request.params.at(0)},
                                {"consent", consentCard(c.value(), forms)},
                                {"recipient", c.value().recipientName},
                                {"withdrawable", c.value().record.kind == "consent" && !c.value().record.withdrawnAt}};
                 return app.render(page, "consentement-retirer", ctx, "Retirer le consentement (" + c.value().recipientName + ")");
             });
    app.page(router, "POST", std::string("/dossiers/") + kit::DOSSIER_ID + "/consentements/" + kit::CONSENT_ID + "/retirer",
             [&app, transmissions, findConsent](Page& page) {
                 if (page.caller.kind != "association") return app.notFound(page);
                 const std::string& dossierId = page.request.params.at(0);
                 // The consent must belong to this dossier (the address names both).
                 auto c = findConsent(page, dossierId, page.request.params.at(1));
                 if (!c.isOk()) return app.errorPage(page, c.status());
                 auto w = transmissions->withdrawConsent(page.caller, page.request.params.at(1));
                 if (!w.isOk()) return app.errorPage(page, w.status());
                 return app.redirect("/dossiers/" + dossierId + "?message=retire#consentements");
             });

    // --- The household's receipt (PDF, opened in the browser to print) ----------------------
    app.page(router, "GET", std::string("/dossiers/") + kit::DOSSIER_ID + "/consentements/recu\\.pdf",
             [&app, transmissions](Page& page) {
                 if (page.caller.kind != "association") return app.notFound(page);
                 auto pdf = transmissions->consentReceipt(page.caller, page.request.params.at(0));
                 if (!pdf.isOk()) return app.errorPage(page, pdf.status());
                 return kit::download(pdf.value().bytes, "application/pdf",
                                      "recu-consentements-" + page.request.params.at(0) + ".pdf", /*inlineView=*/true);
             });
    // A scanned paper autorisation comes with the form (multipart): above the server's body limit.
    router.allowBody("POST", "/dossiers/dos_0000000000000000/consentements", service::SCAN_REQUEST_BODY_BYTES);
}

} // namespace passerelle::web
