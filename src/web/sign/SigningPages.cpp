#include "web/sign/SigningPages.h"

#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include <cstdlib>
#include <map>

#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"
#include "service/AutorisationEvidence.h"
#include "sign/ParisTime.h"
#include "sign/SignedDocument.h"
#include "sign/SigningPlan.h"

namespace passerelle::web {

using http::Reply;

namespace {

const char* const DOCUMENT_ID = "(doc_[0-9a-f]{16})";
const char* const SIGNATORY_ID = "(sgr_[0-9a-f]{16})";
const char* const PREVIEW_ID = "(apc_[0-9a-f]{16})";
const char* const LINK_SECRET = "([0-9a-f]{64})";
const char* const PAGE_NUMBER = "/pages/([0-9]{1,5})\\.svg"; // a page image, 1-based

Reply pdfReply(std::string bytes, const std::string& fileName, bool inlineView) {
    Reply r;
    r.status = 200;
    r.contentType = "application/pdf";
    r.body = std::move(bytes);
    r.headers["Content-Disposition"] = std::string(inlineView ? "inline" : "attachment") + "; filename=\"" + fileName + "\"";
    r.headers["Cache-Control"] = "no-store";
    if (inlineView) {
        // Opened in the browser (the link « Télécharger le PDF »); framable by this origin only.
        r.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'";
        r.headers["X-Frame-Options"] = "SAMEORIGIN";
    }
    WebApp::secure(r);
    return r;
}

// One page of a document as an SVG image (service::PageRenditions), 1-based; 404 outside the document.
Reply svgPageReply(const WebApp& app, const Page& page, const service::PageSet& set, const std::string& number) {
    const long n = std::strtol(number.c_str(), nullptr, 10);
    if (n < 1 || static_cast<std::size_t>(n) > set.pages.size()) return app.notFound(page);
    Reply r;
    r.status = 200;
    r.contentType = "image/svg+xml; charset=utf-8";
    r.body = set.pages[static_cast<std::size_t>(n) - 1];
    // Only for this user's browser: the page carries the household's data.
    r.headers["Cache-Control"] = "private";
    WebApp::secure(r); // the strict policy (no script, nothing external), nosniff
    return r;
}

// The document shown page by page (partials/signature-pages), or, when its pages cannot be shown
// as proven identical to the stored PDF, a message; the PDF's own link in either case.
mstch::map pagesView(const Result<std::shared_ptr<const service::PageSet>>& set, const std::string& pagesBase,
                     const std::string& pdfUrl, const std::string& what, const std::string& id) {
    mstch::map v{{"pdfUrl", pdfUrl}, {"what", what}, {"id", id}};
    if (!set.isOk() || !set.value() || set.value()->pages.empty() || pagesBase.empty()) {
        v["unavailable"] = std::string(service::PAGES_UNAVAILABLE_MESSAGE);
        return v;
    }
    const service::PageSet& p = *set.value();
    const std::size_t count = p.pages.size();
    const std::string width = std::to_string(static_cast<long>(p.widthPt + 0.5));
    const std::string height = std::to_string(static_cast<long>(p.heightPt + 0.5));
    mstch::array items;
    for (std::size_t i = 1; i <= count; ++i)
        items.push_back(mstch::map{{"src", pagesBase + "/" + std::to_string(i) + ".svg"},
                                   {"alt", "Page " + std::to_string(i) + " sur " + std::to_string(count) + " du document " + what},
                                   {"width", width},
                                   {"height", height}});
    v["pages"] = items;
    v["hasPages"] = true;
    v["count"] = std::to_string(count) + (count > 1 ? " pages" : " page");
    return v;
}

std::string stateLabel(const std::string& s) {
    if (s == storage::SIGNATORY_SIGNED) return "Signé";
    if (s == storage::SIGNATORY_REFUSED) return "Refusé";
    return "En attente";
}

std::string signingStateLabel(const std::string& s) {
    if (s == storage::SIGNING_SIGNED) return "Signé par tous";
    if (s == storage::SIGNING_REFUSED) return "Signature refusée";
    if (s == service::SIGNING_OUT_OF_DATE) return "Périmée : le document a changé";
    return "En cours";
}

std::string partyLabel(const std::string& p) {
    if (p == sign::PARTY_MENAGE) return "Ménage";
    if (p == sign::PARTY_ASSOCIATION) return "Association";
    if (p == sign::PARTY_BAILLEUR) return "Bailleur";
    return p;
}

std::string parisFrench(const std::string& utcIso) {
    if (utcIso.empty()) return "";
    return sign::parisTime(sign::parseUtcIso(utcIso)).french;
}

// A pending signatory may sign once every earlier signatory of another party signed.
bool turnCame(const storage::SigningRecord& r, const storage::Signatory& s) {
    for (const auto& o : r.signatories)
        if (o.position < s.position && o.party != s.party && o.state != storage::SIGNATORY_SIGNED) return false;
    return true;
}

// What the tablet form posted, as a SigningService body.
struct Posted {
    bool accepted = true;
    Poco::JSON::Object::Ptr body;
    std::vector<FieldError> errors;
};

Posted readSignatureForm(const Page& page, const std::string& method, const std::string& witness) {
    Posted p;
    p.accepted = page.form.get("_action") != "refuser";
    const std::string image = Poco::trim(page.form.get("image"));
    const std::string typed = Poco::trim(page.form.get("nomSaisi"));
    if (p.accepted) {
        if (page.form.get("luEtApprouve") != "oui")
            p.errors.push_back({"/luEtApprouve", "required", "Cochez « Lu et approuvé » après avoir lu tout le document."});
        if (image.empty() && typed.empty())
            p.errors.push_back({"/nomSaisi", "required", "Dessinez votre signature dans le cadre, ou écrivez votre nom en toutes lettres."});
    }
    p.body = new Poco::JSON::Object;
    if (!method.empty()) p.body->set("method", method);
    if (!witness.empty()) p.body->set("witness", witness);
    p.body->set("accepted", p.accepted);
    if (p.accepted && !image.empty()) p.body->set("image", image);
    if (p.accepted && !typed.empty()) p.body->set("typedName", typed);
    return p;
}

std::string inputIdOf(const std::string& path) {
    if (path == "/luEtApprouve") return "luEtApprouve";
    if (path == "/typedName" || path == "/image" || path == "/nomSaisi") return "nomSaisi";
    if (path == "/email") return "email";
    return "nomSaisi";
}

mstch::array summaryOf(const std::vector<FieldError>& errors) {
    mstch::array out;
    for (const auto& e : errors) out.push_back(mstch::map{{"id", inputIdOf(e.path)}, {"message", e.message}});
    return out;
}

// Everything the tablet view shows.
struct TabletScreen {
    std::string title;             // page title
    std::string formTitle;
    std::string documentId;
    const storage::Signatory* signatory = nullptr;
    std::string pdfUrl;
    std::string action;
    std::string witness;           // in person: the référent recorded as witness
    std::string pagesUrl;          // base of the page images ("…/pages"; "/1.svg" follows); empty: none
    Result<std::shared_ptr<const service::PageSet>> pages = Status::notFound("no_pages", "");
    std::string previewId, previewUrl, previewRecipient, previewNote;
    std::string previewPagesUrl;
    Result<std::shared_ptr<const service::PageSet>> previewPages = Status::notFound("no_pages", "");
    std::string backUrl, backLabel;
    std::string notice;            // e.g. why the document cannot be shown
    bool canSign = true;
    std::vector<FieldError> errors;
    std::string typed;
    bool ticked = false;
};

Reply renderTablet(const WebApp& app, const Page& page, const TabletScreen& t, int status) {
    mstch::map ctx{{"formTitle", t.formTitle},
                   {"documentId", t.documentId},
                   {"name", t.signatory ? t.signatory->name : std::string()},
                   {"capacity", t.signatory ? t.signatory->capacity : std::string()},
                   {"party", t.signatory ? partyLabel(t.signatory->party) : std::string()},
                   {"pdfUrl", t.pdfUrl},
                   {"action", t.action},
                   {"witness", t.witness},
                   {"previewId", t.previewId},
                   {"previewUrl", t.previewUrl},
                   {"previewRecipient", t.previewRecipient},
                   {"previewNote", t.previewNote},
                   {"hasPreview", !t.previewUrl.empty()},
                   {"document", pagesView(t.pages, t.pagesUrl, t.pdfUrl, "« " + t.formTitle + " »", "document")},
                   {"preview", pagesView(t.previewPages, t.previewPagesUrl, t.previewUrl,
                                         "que recevrait " + t.previewRecipient, "apercu")},
                   {"backUrl", t.backUrl},
                   {"backLabel", t.backLabel},
                   {"notice", t.notice},
                   {"canSign", t.canSign && !t.pdfUrl.empty()},
                   {"typed", t.typed},
                   {"ticked", t.ticked},
                   {"errors", summaryOf(t.errors)}};
    for (const auto& e : t.errors) {
        if (inputIdOf(e.path) == "luEtApprouve") ctx["luError"] = e.message;
        else ctx["signatureError"] = e.message;
    }
    // The document is shown as page images (same origin): WebApp's strict policy, no frames.
    return app.render(page, "signature", ctx, (t.errors.empty() ? "" : "Erreur : ") + t.title, status);
}

class Handlers {
public:
    Handlers(const WebApp& app, SigningPageServices s) : _app(app), _s(std::move(s)) {
        if (!_s.pages) _s.pages = std::make_shared<const service::PageRenditions>(_s.dossiers->renderer());
    }

    const WebApp& app() const { return _app; }
    const SigningPageServices& s() const { return _s; }
    storage::Store& store() const { return *_s.dossiers->store(); }
    const service::RenderService& renderer() const { return *_s.dossiers->renderer(); }
    // The pages of the revision being signed, proven identical to its stored PDF.
    Result<std::shared_ptr<const service::PageSet>> revisionPages(const storage::Document& d, std::int64_t revision) const {
        return _s.pages->revisionPages(store(), d, revision);
    }

    std::string formTitle(const std::string& form) const {
        auto def = renderer().catalog().forms->find(form);
        return def ? def->title : form;
    }

    Reply fail(const Page& page, const Status& st) const {
        return st.code() == Status::Code::NotFound ? _app.notFound(page) : _app.errorPage(page, st);
    }

    // The owner's document, or the reply to give instead.
    Result<storage::Document> ownDocument(const Page& page, const std::string& id) const {
        auto doc = _s.dossiers->getDocument(page.caller, id, 0);
        if (!doc.isOk()) return doc.status();
        auto access = _s.dossiers->documentAccess(page.caller, doc.value().document);
        if (!access.isOk() || access.value() != service::DossierService::Access::Write)
            return Status::notFound("not_found", "L’adresse demandée n’existe pas, ou vous n’y avez pas accès.");
        return doc.value().document;
    }

    // --- The association's overview of a document's signing --------------------
    Reply overview(Page& page, const std::string& id, const std::string& message, const Status& error) const {
        auto doc = ownDocument(page, id);
        if (!doc.isOk()) return fail(page, doc.status());
        const storage::Document& d = doc.value();
        auto def = renderer().catalog().forms->find(d.form);
        if (!def || !sign::isSignable(*def)) return _app.notFound(page);
        auto status = _s.signing->status(page.caller, id);
        mstch::map ctx{{"formTitle", def->title}, {"documentId", id}, {"currentRevision", std::to_string(d.currentRevision)},
                       {"dossierId", d.dossierId}};
        if (!message.empty()) ctx["message"] = message;
        if (!error.isOk()) ctx["problem"] = error.message();
        bool startable = !status.isOk();
        if (status.isOk()) {
            const auto& v = status.value();
            const auto& r = v.record;
            startable = v.state == service::SIGNING_OUT_OF_DATE;
            ctx["hasSigning"] = true;
            ctx["signingState"] = signingStateLabel(v.state);
            ctx["signingStateCode"] = v.state;
            ctx["revision"] = std::to_string(r.signing.revision);
            ctx["revisionSha256"] = r.signing.revisionSha256;
            ctx["complete"] = v.state == storage::SIGNING_SIGNED;
            ctx["refused"] = v.state == storage::SIGNING_REFUSED;
            ctx["outOfDate"] = v.state == service::SIGNING_OUT_OF_DATE;
            ctx["signedPdfSha256"] = v.signedPdfSha256;
            ctx["isAutorisation"] = d.form == "autorisation-transmission" && v.state == storage::SIGNING_SIGNED;
            bool linksAllowed = false;
            if (!r.signing.bailleurOrgId.empty()) {
                auto en = store().signingLinksEnabled(page.caller.organisationId, r.signing.bailleurOrgId);
                linksAllowed = en.isOk() && en.value();
            } else if (d.form == "autorisation-transmission") {
                auto terms = service::readAutorisation(store(), renderer(), d, r.signing.revision);
                if (terms.isOk()) {
                    auto en = store().signingLinksEnabled(page.caller.organisationId, terms.value().recipientOrgId);
                    linksAllowed = en.isOk() && en.value();
                }
            }
            // The personal links still out, by signatory: the page says so, and that sending another replaces it.
            std::map<std::string, storage::SigningLink> linksOut;
            if (linksAllowed) {
                auto open = _s.signing->linksStillOpen(r.signing.id);
                if (open.isOk())
                    for (const auto& l : open.value()) linksOut[l.signatoryId] = l;
            }
            mstch::array rows;
            for (const auto& sg : r.signatories) {
                const bool pending = sg.state == storage::SIGNATORY_PENDING && v.state == storage::SIGNING_IN_PROGRESS;
                mstch::map row{{"id", sg.id},
                               {"name", sg.name},
                               {"capacity", sg.capacity},
                               {"party", partyLabel(sg.party)},
                               {"state", stateLabel(sg.state)},
                               {"stateCode", sg.state},
                               {"csrf", page.csrfToken},
                               {"documentId", id}};
                if (sg.state != storage::SIGNATORY_PENDING) {
                    row["when"] = parisFrench(sg.signedAt);
                    row["how"] = sign::methodLabel(sg.method, sg.witness);
                }
                if (pending && sg.party != sign::PARTY_BAILLEUR && turnCame(r, sg)) row["canSignHere"] = true;
                if (pending && sg.party == sign::PARTY_BAILLEUR) row["remote"] = std::string("Signe depuis le compte du bailleur.");
                if (pending && sg.party == sign::PARTY_MENAGE && linksAllowed) {
                    row["canSendLink"] = true;
                    auto out = linksOut.find(sg.id);
                    if (out != linksOut.end()) {
                        row["linkOut"] = "Un lien personnel a été envoyé le " + sign::parisTime(out->second.createdAtMs / 1000).french +
                                         " ; il est valable jusqu’au " + sign::parisTime(out->second.expiresAtMs / 1000).french +
                                         ". En envoyer un nouveau annule celui-ci.";
                        row["sendLabel"] = std::string("Envoyer un nouveau lien");
                    } else {
                        row["sendLabel"] = std::string("Envoyer le lien");
                    }
                }
                rows.push_back(row);
            }
            ctx["signatories"] = rows;
        }
        ctx["startable"] = startable;
        if (startable) {
            // Tripartite forms: the landlord whose representative signs, among the partners.
            bool needsBailleur = false;
            if (auto sigs = def->signing->getArray("signatories"))
                for (unsigned i = 0; i < sigs->size(); ++i)
                    if (sigs->getObject(i) && sigs->getObject(i)->optValue<std::string>("party", "") == sign::PARTY_BAILLEUR)
                        needsBailleur = true;
            if (needsBailleur) {
                std::string named;
                auto rev = store().findRevision(d.id, d.currentRevision);
                if (rev.isOk()) {
                    auto data = forms::parseJsonObject(rev.value().inputJson);
                    if (data.isOk() && data.value()->getObject("bailleur"))
                        named = data.value()->getObject("bailleur")->optValue<std::string>("nom", "");
                }
                mstch::array options;
                auto partners = store().listPartnerships(page.caller.organisationId);
                if (partners.isOk())
                    for (const auto& p : partners.value()) {
                        auto org = store().findOrganisation(p.bailleurId);
                        if (!org.isOk()) continue;
                        options.push_back(mstch::map{{"value", org.value().id}, {"label", org.value().name},
                                                     {"selected", org.value().name == named}});
                    }
                ctx["bailleurs"] = options;
                ctx["needsBailleur"] = true;
            }
        }
        return _app.render(page, "signature-suivi", ctx, "Signature : " + def->title);
    }

    // --- The tablet page of the association's signatories -----------------------
    Reply tablet(Page& page, const std::string& id, const std::string& sgr, std::vector<FieldError> errors, int status) const {
        auto doc = ownDocument(page, id);
        if (!doc.isOk()) return fail(page, doc.status());
        auto v = _s.signing->status(page.caller, id);
        if (!v.isOk()) return fail(page, v.status());
        const storage::Signatory* target = nullptr;
        for (const auto& s : v.value().record.signatories)
            if (s.id == sgr) target = &s;
        if (!target || target->party == sign::PARTY_BAILLEUR) return _app.notFound(page);
        TabletScreen t;
        t.formTitle = formTitle(doc.value().form);
        t.title = "Signature de " + target->name;
        t.documentId = id;
        t.signatory = target;
        t.pdfUrl = "/documents/" + id + "/signature/document.pdf";
        t.pagesUrl = "/documents/" + id + "/signature/pages";
        t.pages = revisionPages(doc.value(), v.value().record.signing.revision);
        t.action = "/documents/" + id + "/signature/" + sgr;
        t.witness = page.caller.userName;
        t.backUrl = "/documents/" + id + "/signature";
        t.backLabel = "Retour au suivi de la signature";
        t.errors = std::move(errors);
        t.typed = page.form.get("nomSaisi");
        t.ticked = page.form.get("luEtApprouve") == "oui";
        if (target->state != storage::SIGNATORY_PENDING || v.value().state != storage::SIGNING_IN_PROGRESS) {
            t.canSign = false;
            t.notice = target->state == storage::SIGNATORY_PENDING ? "La signature de ce document est close (" +
                                                                           signingStateLabel(v.value().state) + ")."
                                                                     : "Cette personne a déjà " +
                                                                           std::string(target->state == storage::SIGNATORY_SIGNED ? "signé." : "refusé de signer.");
        } else if (!turnCame(v.value().record, *target)) {
            t.canSign = false;
            t.notice = "Ce n’est pas encore le tour de cette personne : les signataires signent dans l’ordre prévu par le document.";
        }
        // Issue 11 item 5: before the household signs its autorisation, the copy the landlord would receive.
        if (t.canSign && doc.value().form == "autorisation-transmission" && target->party == sign::PARTY_MENAGE)
            preparePreview(page, doc.value(), v.value().record, t);
        return renderTablet(_app, page, t, status);
    }

    // The consent record the autorisation's terms would create (issue 11 item 5), for the gate's preview.
    static storage::StoredConsent consentOf(const service::AutorisationTerms& tm, const storage::Document& aut,
                                            const storage::SigningRecord& r) {
        storage::StoredConsent c;
        c.recipientOrgId = tm.recipientOrgId;
        c.documentKinds = tm.documentKinds;
        c.categories = tm.categories;
        c.copieSiao = tm.copieSiao;
        c.purpose = tm.purpose;
        c.givenByName = tm.givers.empty() ? "" : tm.givers.front();
        c.proofSha256 = r.signing.revisionSha256;
        c.proofDocumentId = aut.id;
        if (auto e = consent::Instant::parseIso(tm.expiresAtIso)) c.expiresAt = e->epochSeconds;
        return c;
    }

    // The pages of a stored preview: verified before (the tablet page), or drawn again from the same
    // gate's preview and shown only if that gives the stored PDF.
    Result<std::shared_ptr<const service::PageSet>> previewPages(const Page& page, const storage::AutorisationPreview& p,
                                                                 const storage::Document& aut) const {
        if (auto hit = _s.pages->find(p.bytes)) return hit;
        const Status none = Status::notFound("no_pages", "");
        if (p.shownDocumentId.empty()) return none;
        auto v = _s.signing->status(page.caller, aut.id);
        if (!v.isOk() || v.value().record.signing.revision != p.revision) return none;
        auto terms = service::readAutorisation(store(), renderer(), aut, p.revision);
        if (!terms.isOk()) return none;
        auto copy = _s.transmissions->previewRecipientCopy(page.caller, p.shownDocumentId, consentOf(terms.value(), aut, v.value().record));
        if (!copy.isOk()) return none;
        return _s.pages->pages(copy.value().request, p.bytes);
    }

    void preparePreview(const Page& page, const storage::Document& aut, const storage::SigningRecord& r, TabletScreen& t) const {
        auto terms = service::readAutorisation(store(), renderer(), aut, r.signing.revision);
        if (!terms.isOk()) {
            t.previewNote = terms.status().details().empty() ? terms.status().message() : terms.status().details().front().message;
            return;
        }
        const auto& tm = terms.value();
        t.previewRecipient = tm.recipientName;
        service::DocumentFilter filter;
        filter.dossierId = aut.dossierId;
        filter.form = tm.documentKinds.front();
        filter.limit = 50;
        auto docs = _s.dossiers->listDocuments(page.caller, filter);
        // The document concerned: the most recently updated one of that kind in the dossier.
        std::string shownId, shownUpdated;
        if (docs.isOk())
            for (const auto& d : docs.value().items)
                if (d.form == filter.form && (shownId.empty() || d.updatedAt > shownUpdated)) {
                    shownId = d.id;
                    shownUpdated = d.updatedAt;
                }
        storage::AutorisationPreview p;
        p.documentId = aut.id;
        p.revision = r.signing.revision;
        p.recipientOrgId = tm.recipientOrgId;
        if (shownId.empty()) {
            t.previewNote = "Le dossier ne contient pas encore de document « " + formTitle(filter.form) +
                            " » : rien ne peut être montré ni transmis pour l’instant.";
            return;
        }
        auto copy = _s.transmissions->previewRecipientCopy(page.caller, shownId, consentOf(tm, aut, r));
        if (!copy.isOk()) {
            t.previewNote = "Aucune copie ne serait transmise : " + copy.status().message();
            return;
        }
        p.shownDocumentId = copy.value().documentId;
        p.shownRevision = copy.value().revision;
        p.sha256 = copy.value().sha256;
        p.bytes = copy.value().pdf;
        auto stored = store().storeAutorisationPreview(p);
        if (!stored.isOk()) {
            t.previewNote = "L’aperçu n’a pas pu être préparé.";
            return;
        }
        t.previewId = stored.value().id;
        t.previewUrl = "/apercus/" + stored.value().id + ".pdf";
        t.previewPagesUrl = "/apercus/" + stored.value().id + "/pages";
        t.previewPages = _s.pages->pages(copy.value().request, copy.value().pdf);
        const std::size_t n = copy.value().withheld.size();
        t.previewNote = n == 0   ? std::string("Toutes les informations du document y figurent.")
                        : n == 1 ? std::string("Une information n’y figure pas : elle porte la mention « Information non transmise ».")
                                 : std::to_string(n) + " informations n’y figurent pas : elles portent la mention « Information non transmise ».";
    }

    Reply postTablet(Page& page, const std::string& id, const std::string& sgr) const {
        auto doc = ownDocument(page, id);
        if (!doc.isOk()) return fail(page, doc.status());
        Posted p = readSignatureForm(page, "in_person", page.caller.userName);
        if (!p.errors.empty()) return tablet(page, id, sgr, p.errors, 400);
        service::SignatureContext ctx{_app.clientAddress(page.request), header(page, "user-agent"), ""};
        std::string previewId = page.form.get("apercu");
        if (!previewId.empty()) {
            auto pv = store().findAutorisationPreview(previewId);
            if (pv.isOk() && pv.value().documentId == id) ctx.shownSha256 = pv.value().sha256;
            else previewId.clear();
        }
        auto signed_ = _s.signing->sign(page.caller, id, sgr, p.body, ctx);
        if (!signed_.isOk()) {
            if (signed_.status().code() == Status::Code::InvalidArgument)
                return tablet(page, id, sgr, signed_.status().details(), 400);
            return fail(page, signed_.status());
        }
        if (!previewId.empty() && p.accepted) store().confirmAutorisationPreview(previewId, sgr);
        std::string name;
        for (const auto& s : signed_.value().record.signatories)
            if (s.id == sgr) name = s.name;
        return _app.redirect("/documents/" + id + "/signature?fait=" + std::string(p.accepted ? "signe" : "refuse"));
    }

    static std::string header(const Page& page, const std::string& name) {
        auto it = page.request.headers.find(name);
        return it == page.request.headers.end() ? std::string() : it->second;
    }

    // --- The landlord ----------------------------------------------------------------
    // The latest copy of this document's signed revision transmitted to the landlord (through the gate).
    std::optional<storage::Transmission> landlordCopy(const Page& page, const service::SigningView& v) const {
        auto received = _s.transmissions->listReceived(page.caller, 200, 0);
        if (!received.isOk()) return std::nullopt;
        for (const auto& t : received.value().items)
            if (t.documentId == v.record.signing.documentId && t.revision == v.record.signing.revision && t.allowed)
                return t;
        return std::nullopt;
    }

    // The pages of the landlord's copy: drawn from the rendering transmit() made of it (rebuilt from the
    // transmission record), shown only when that render gives the very PDF of « copie.pdf ».
    Result<std::shared_ptr<const service::PageSet>> landlordCopyPages(const Page& page, const storage::Transmission& t) const {
        auto r = _s.transmissions->receivedCopyRendering(page.caller, t.id);
        if (!r.isOk()) return r.status();
        return _s.pages->pages(r.value().request, r.value().pdf.bytes);
    }

    Reply landlordTablet(Page& page, const std::string& id, std::vector<FieldError> errors, int status) const {
        if (page.caller.kind != storage::KIND_BAILLEUR) return _app.notFound(page);
        auto v = _s.signing->status(page.caller, id);
        if (!v.isOk()) return fail(page, v.status());
        const storage::Signatory* target = nullptr;
        for (const auto& s : v.value().record.signatories)
            if (s.party == sign::PARTY_BAILLEUR) target = &s;
        if (!target) return _app.notFound(page);
        auto doc = store().findDocument(id);
        if (!doc.isOk()) return fail(page, doc.status());
        TabletScreen t;
        t.formTitle = formTitle(doc.value().form);
        t.title = "Signature de " + target->name;
        t.documentId = id;
        t.signatory = target;
        t.action = "/signatures/" + id;
        t.backUrl = "/signatures";
        t.backLabel = "Retour aux documents à signer";
        t.errors = std::move(errors);
        t.typed = page.form.get("nomSaisi");
        t.ticked = page.form.get("luEtApprouve") == "oui";
        if (auto copy = landlordCopy(page, v.value())) {
            t.pdfUrl = "/signatures/" + id + "/copie.pdf";
            t.pagesUrl = "/signatures/" + id + "/copie/pages";
            t.pages = landlordCopyPages(page, *copy);
        } else
            t.notice = "L’association ne vous a pas encore transmis ce document avec l’accord du ménage : vous ne pouvez "
                       "pas le lire, donc pas encore le signer.";
        if (target->state != storage::SIGNATORY_PENDING || v.value().state != storage::SIGNING_IN_PROGRESS) {
            t.canSign = false;
            t.notice = "La signature de ce document n’attend plus la vôtre (" + signingStateLabel(v.value().state) + ").";
        } else if (!turnCame(v.value().record, *target)) {
            t.canSign = false;
            t.notice = "Les autres signataires n’ont pas encore tous signé : vous signerez après eux.";
        }
        return renderTablet(_app, page, t, status);
    }

private:
    const WebApp& _app;
    SigningPageServices _s;
};

} // namespace

void addSigningPages(http::Router& router, const WebApp& app, const SigningPageServices& services) {
    auto h = std::make_shared<Handlers>(app, services);
    const std::string doc = std::string("/documents/") + DOCUMENT_ID;

    app.page(router, "GET", doc + "/signature", [h](Page& page) {
        const std::string f = page.query.get("fait");
        std::string message = f == "signe" ? "La signature est enregistrée."
                              : f == "refuse" ? "Le refus de signer est enregistré : la signature de ce document est arrêtée."
                              : f == "lance" ? "La signature est lancée : chaque signataire signe à son tour."
                              : f == "lien" ? "Le lien personnel de signature est envoyé à l’adresse indiquée." : "";
        return h->overview(page, page.request.params.at(0), message, Status::ok());
    });
    app.page(router, "POST", doc + "/signature", [h](Page& page) {
        const std::string id = page.request.params.at(0);
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        if (!page.form.get("bailleur").empty()) body->set("bailleur", page.form.get("bailleur"));
        auto started = h->s().signing->start(page.caller, id, body);
        if (!started.isOk()) {
            if (started.status().code() == Status::Code::NotFound) return h->app().notFound(page);
            return h->overview(page, id, "", started.status());
        }
        return h->app().redirect("/documents/" + id + "/signature?fait=lance");
    });
    app.page(router, "GET", doc + "/signature/document\\.pdf", [h](Page& page) {
        const std::string id = page.request.params.at(0);
        auto v = h->s().signing->status(page.caller, id);
        if (!v.isOk()) return h->fail(page, v.status());
        auto pdf = h->s().dossiers->getRendition(page.caller, id, "pdf", v.value().record.signing.revision);
        if (!pdf.isOk()) return h->fail(page, pdf.status());
        return pdfReply(std::move(pdf.value().bytes), id + "-a-signer.pdf", true);
    });
    app.page(router, "GET", doc + "/signature" + PAGE_NUMBER, [h](Page& page) {
        const std::string id = page.request.params.at(0);
        auto d = h->ownDocument(page, id); // as the tablet page: another organisation's document is not found
        if (!d.isOk()) return h->app().notFound(page);
        auto v = h->s().signing->status(page.caller, id);
        if (!v.isOk()) return h->fail(page, v.status());
        auto set = h->revisionPages(d.value(), v.value().record.signing.revision);
        if (!set.isOk()) return h->app().notFound(page);
        return svgPageReply(h->app(), page, *set.value(), page.request.params.at(1));
    });
    app.page(router, "GET", doc + "/signature/" + SIGNATORY_ID, [h](Page& page) {
        return h->tablet(page, page.request.params.at(0), page.request.params.at(1), {}, 200);
    });
    app.page(router, "POST", doc + "/signature/" + SIGNATORY_ID, [h](Page& page) {
        return h->postTablet(page, page.request.params.at(0), page.request.params.at(1));
    });
    app.page(router, "POST", doc + "/signature/" + SIGNATORY_ID + "/lien", [h](Page& page) {
        const std::string id = page.request.params.at(0);
        auto sent = h->s().signing->sendSigningLink(page.caller, id, page.request.params.at(1), page.form.get("email"));
        if (!sent.isOk()) {
            if (sent.status().code() == Status::Code::NotFound) return h->app().notFound(page);
            Status st = sent.status();
            std::string msg = st.details().empty() ? st.message() : st.details().front().message;
            return h->overview(page, id, "", Status::invalidArgument(st.errorCode(), msg));
        }
        return h->app().redirect("/documents/" + id + "/signature?fait=lien");
    });
    app.page(router, "GET", doc + "/signe\\.pdf", [h](Page& page) {
        const std::string id = page.request.params.at(0);
        auto pdf = h->s().signing->signedPdf(page.caller, id);
        if (!pdf.isOk()) return h->fail(page, pdf.status());
        return pdfReply(std::move(pdf.value().bytes), id + "-signe.pdf", false);
    });
    app.page(router, "GET", std::string("/apercus/") + PREVIEW_ID + PAGE_NUMBER, [h](Page& page) {
        auto p = h->store().findAutorisationPreview(page.request.params.at(0));
        if (!p.isOk() || p.value().bytes.empty()) return h->app().notFound(page);
        auto owner = h->ownDocument(page, p.value().documentId);
        if (!owner.isOk()) return h->app().notFound(page);
        auto set = h->previewPages(page, p.value(), owner.value());
        if (!set.isOk()) return h->app().notFound(page);
        return svgPageReply(h->app(), page, *set.value(), page.request.params.at(1));
    });
    app.page(router, "GET", std::string("/apercus/") + PREVIEW_ID + "\\.pdf", [h](Page& page) {
        auto p = h->store().findAutorisationPreview(page.request.params.at(0));
        if (!p.isOk() || p.value().bytes.empty()) return h->app().notFound(page);
        auto owner = h->ownDocument(page, p.value().documentId);
        if (!owner.isOk()) return h->app().notFound(page);
        return pdfReply(std::move(p.value().bytes), "apercu-copie-bailleur.pdf", true);
    });

    // --- Consent from the signed autorisation (issue 11 item 4) ----------------------
    auto consentPage = [h](Page& page, const std::string& id, const Status& problem, bool done) {
        auto docR = h->ownDocument(page, id);
        if (!docR.isOk()) return h->fail(page, docR.status());
        const storage::Document& d = docR.value();
        if (d.form != "autorisation-transmission") return h->app().notFound(page);
        mstch::map ctx{{"documentId", id}, {"dossierId", d.dossierId}, {"done", done}};
        if (!problem.isOk())
            ctx["problem"] = problem.details().empty() ? problem.message() : problem.message() + " " + problem.details().front().message;
        auto ev = service::autorisationEvidence(h->store(), h->renderer(), d);
        if (!ev.isOk()) {
            ctx["notEvidence"] = ev.status().details().empty() ? ev.status().message() : ev.status().details().front().message;
        } else {
            const auto& t = ev.value().terms;
            mstch::array kinds, cats;
            for (const auto& k : t.documentKinds) kinds.push_back(mstch::map{{"label", h->formTitle(k)}});
            for (const auto& c : t.categories) cats.push_back(mstch::map{{"label", forms::categoryLabel(c)}});
            ctx["terms"] = mstch::map{{"recipient", t.recipientName},
                                      {"kinds", kinds},
                                      {"categories", cats},
                                      {"siao", std::string(t.copieSiao ? "Oui" : "Non")},
                                      {"until", t.validUntil ? t.validUntil->french() : std::string("un an au plus")},
                                      {"purpose", t.purpose},
                                      {"givers", [&] { std::string s; for (const auto& g : t.givers) s += (s.empty() ? "" : ", ") + g; return s; }()},
                                      {"evidence", std::string(ev.value().kind == "signed_pdf" ? "PDF signé et scellé dans Passerelle"
                                                                                                : "Scan de l’autorisation signée sur papier")},
                                      {"sha256", ev.value().sha256},
                                      {"shown", ev.value().shownSha256}};
        }
        return h->app().render(page, "consentement-autorisation", ctx, "Consentement à partir de l’autorisation signée");
    };
    app.page(router, "GET", doc + "/consentement", [consentPage](Page& page) {
        return consentPage(page, page.request.params.at(0), Status::ok(), page.query.get("fait") == "1");
    });
    app.page(router, "POST", doc + "/consentement", [h, consentPage](Page& page) {
        const std::string id = page.request.params.at(0);
        auto docR = h->ownDocument(page, id);
        if (!docR.isOk()) return h->fail(page, docR.status());
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        Poco::JSON::Object::Ptr how = new Poco::JSON::Object;
        how->set("method", "signed_autorisation");
        how->set("documentId", id);
        how->set("recordedBy", page.caller.userName);
        body->set("how", how);
        auto rec = h->s().transmissions->recordConsent(page.caller, docR.value().dossierId, body);
        if (!rec.isOk()) return consentPage(page, id, rec.status(), false);
        return h->app().redirect("/documents/" + id + "/consentement?fait=1");
    });

    // --- Landlord ------------------------------------------------------------------------
    app.page(router, "GET", "/signatures", [h](Page& page) {
        if (page.caller.kind != storage::KIND_BAILLEUR) return h->app().notFound(page);
        auto list = h->s().signing->awaitingSignature(page.caller);
        if (!list.isOk()) return h->fail(page, list.status());
        mstch::array rows;
        for (const auto& v : list.value()) {
            auto d = h->store().findDocument(v.record.signing.documentId);
            auto owner = d.isOk() ? h->store().findOrganisation(d.value().ownerOrganisationId) : Result<storage::Organisation>(Status::notFound("", ""));
            std::string mine = "En attente des autres signataires";
            for (const auto& s : v.record.signatories)
                if (s.party == sign::PARTY_BAILLEUR && s.state == storage::SIGNATORY_PENDING && turnCame(v.record, s))
                    mine = "À votre tour de signer";
            rows.push_back(mstch::map{{"id", v.record.signing.documentId},
                                      {"title", d.isOk() ? h->formTitle(d.value().form) : std::string("Document")},
                                      {"from", owner.isOk() ? owner.value().name : std::string("—")},
                                      {"since", parisFrench(v.record.signing.createdAt.substr(0, 19) + "Z")},
                                      {"state", mine}});
        }
        return h->app().render(page, "signatures-bailleur", mstch::map{{"documents", rows}}, "Documents à signer");
    });
    app.page(router, "GET", std::string("/signatures/") + DOCUMENT_ID, [h](Page& page) {
        return h->landlordTablet(page, page.request.params.at(0), {}, 200);
    });
    app.page(router, "GET", std::string("/signatures/") + DOCUMENT_ID + "/copie\\.pdf", [h](Page& page) {
        if (page.caller.kind != storage::KIND_BAILLEUR) return h->app().notFound(page);
        auto v = h->s().signing->status(page.caller, page.request.params.at(0));
        if (!v.isOk()) return h->fail(page, v.status());
        auto t = h->landlordCopy(page, v.value());
        if (!t) return h->app().notFound(page);
        auto pdf = h->s().transmissions->getReceivedCopy(page.caller, t->id, "pdf");
        if (!pdf.isOk()) return h->fail(page, pdf.status());
        return pdfReply(std::move(pdf.value().bytes), "copie-" + t->id + ".pdf", true);
    });
    app.page(router, "GET", std::string("/signatures/") + DOCUMENT_ID + "/copie" + PAGE_NUMBER, [h](Page& page) {
        // As the landlord's tablet page: a landlord, a signing it takes part in, its copy of the revision.
        if (page.caller.kind != storage::KIND_BAILLEUR) return h->app().notFound(page);
        auto v = h->s().signing->status(page.caller, page.request.params.at(0));
        if (!v.isOk()) return h->app().notFound(page);
        auto t = h->landlordCopy(page, v.value());
        if (!t) return h->app().notFound(page);
        auto set = h->landlordCopyPages(page, *t);
        if (!set.isOk()) return h->app().notFound(page);
        return svgPageReply(h->app(), page, *set.value(), page.request.params.at(1));
    });
    app.page(router, "POST", std::string("/signatures/") + DOCUMENT_ID, [h](Page& page) {
        const std::string id = page.request.params.at(0);
        if (page.caller.kind != storage::KIND_BAILLEUR) return h->app().notFound(page);
        auto v = h->s().signing->status(page.caller, id);
        if (!v.isOk()) return h->fail(page, v.status());
        auto copy = h->landlordCopy(page, v.value());
        if (!copy) return h->landlordTablet(page, id, {}, 409);
        Posted p = readSignatureForm(page, "account", "");
        if (!p.errors.empty()) return h->landlordTablet(page, id, p.errors, 400);
        std::string sgr;
        for (const auto& s : v.value().record.signatories)
            if (s.party == sign::PARTY_BAILLEUR) sgr = s.id;
        std::string shown;
        for (const auto& a : copy->artefacts)
            if (a.format == "pdf") shown = a.sha256;
        service::SignatureContext ctx{h->app().clientAddress(page.request), Handlers::header(page, "user-agent"), shown};
        auto signed_ = h->s().signing->sign(page.caller, id, sgr, p.body, ctx);
        if (!signed_.isOk()) {
            if (signed_.status().code() == Status::Code::InvalidArgument)
                return h->landlordTablet(page, id, signed_.status().details(), 400);
            return h->fail(page, signed_.status());
        }
        mstch::map ctx2{{"accepted", p.accepted}, {"title", h->formTitle(h->store().findDocument(id).isOk() ? h->store().findDocument(id).value().form : "")}};
        return h->app().render(page, "signature-faite", ctx2, p.accepted ? "Signature enregistrée" : "Refus enregistré");
    });

    // --- Household member with a personal link (no account) ---------------------------------
    auto linkPage = [h](Page& page, const std::string& secret, std::vector<FieldError> errors, int status) {
        auto open = h->s().signing->openLink(secret);
        if (!open.isOk()) return h->app().errorPage(page, open.status());
        TabletScreen t;
        t.formTitle = h->formTitle(open.value().document.form);
        t.title = "Signature de " + open.value().signatory.name;
        t.documentId = open.value().document.id;
        t.signatory = &open.value().signatory;
        t.pdfUrl = "/signature/" + secret + "/document.pdf";
        t.pagesUrl = "/signature/" + secret + "/pages";
        t.pages = h->revisionPages(open.value().document, open.value().signing.record.signing.revision);
        t.action = "/signature/" + secret;
        t.errors = std::move(errors);
        t.typed = page.form.get("nomSaisi");
        t.ticked = page.form.get("luEtApprouve") == "oui";
        t.notice = "Ce lien personnel sert une seule fois ; il expire le " +
                   sign::parisTime(open.value().expiresAtMs / 1000).french + ".";
        if (open.value().signing.state != storage::SIGNING_IN_PROGRESS || !turnCame(open.value().signing.record, open.value().signatory)) {
            t.canSign = false;
            t.notice = "Ce document ne peut pas être signé pour l’instant (" + signingStateLabel(open.value().signing.state) + ").";
        }
        return renderTablet(h->app(), page, t, status);
    };
    app.page(router, "GET", std::string("/signature/") + LINK_SECRET, [linkPage](Page& page) {
        return linkPage(page, page.request.params.at(0), {}, 200);
    }, Access::Public);
    app.page(router, "GET", std::string("/signature/") + LINK_SECRET + "/document\\.pdf", [h](Page& page) {
        auto pdf = h->s().signing->linkDocumentPdf(page.request.params.at(0));
        if (!pdf.isOk()) return h->app().errorPage(page, pdf.status());
        return pdfReply(std::move(pdf.value().bytes), "document-a-signer.pdf", true);
    }, Access::Public);
    app.page(router, "GET", std::string("/signature/") + LINK_SECRET + PAGE_NUMBER, [h](Page& page) {
        auto open = h->s().signing->openLink(page.request.params.at(0)); // reads the link, never spends it
        if (!open.isOk()) return h->app().errorPage(page, open.status());
        auto set = h->revisionPages(open.value().document, open.value().signing.record.signing.revision);
        if (!set.isOk()) return h->app().notFound(page);
        return svgPageReply(h->app(), page, *set.value(), page.request.params.at(1));
    }, Access::Public);
    app.page(router, "POST", std::string("/signature/") + LINK_SECRET, [h, linkPage](Page& page) {
        const std::string secret = page.request.params.at(0);
        Posted p = readSignatureForm(page, "", "");
        if (!p.errors.empty()) return linkPage(page, secret, p.errors, 400);
        service::SignatureContext ctx{h->app().clientAddress(page.request), Handlers::header(page, "user-agent"), ""};
        auto signed_ = h->s().signing->signByLink(secret, p.body, ctx);
        if (!signed_.isOk()) {
            if (signed_.status().code() == Status::Code::InvalidArgument) return linkPage(page, secret, signed_.status().details(), 400);
            return h->app().errorPage(page, signed_.status());
        }
        return h->app().render(page, "signature-faite", mstch::map{{"accepted", p.accepted}, {"title", std::string("")}},
                               p.accepted ? "Signature enregistrée" : "Refus enregistré");
    }, Access::Public);
}

} // namespace passerelle::web
