#include "web/WebRoutes.h"

#include "service/HouseholdExport.h"

#include <algorithm>
#include <map>

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "forms/FormRegistry.h"
#include "web/StaticFiles.h"
#include "web/PageKit.h"
#include "web/TransmissionPages.h"

namespace passerelle::web {

using http::Reply;

namespace {

constexpr int DOSSIERS_PER_PAGE = 20;

const char* statutLabel(const std::string& s) {
    if (s == "ouvert") return "Ouvert";
    if (s == "suspendu") return "Suspendu";
    if (s == "clos") return "Clos";
    return "Inconnu";
}

const char* kindLabel(const std::string& k) {
    if (k == "association") return "association";
    if (k == "bailleur") return "bailleur social";
    if (k == "financeur") return "financeur";
    if (k == "siao") return "SIAO";
    return "organisation";
}

// "/menage/membres/0/nom" → "menage-membres-0-nom": the id of the input named by that pointer.
std::string idOfPointer(const std::string& pointer) {
    std::string id;
    for (char c : pointer) {
        if (c == '/') {
            if (!id.empty()) id.push_back('-');
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            id.push_back(c);
        } else {
            id.push_back('_');
        }
    }
    return id.empty() ? "champ" : id;
}

Poco::JSON::Object::Ptr parseObject(const std::string& json) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        return nullptr;
    }
}

std::string textOf(const Poco::JSON::Object::Ptr& o, const char* key) {
    if (!o || !o->has(key)) return {};
    auto v = o->get(key);
    return v.isString() ? v.toString() : std::string();
}

// "Prénom Nom" of each household member.
std::vector<std::string> memberNames(const Poco::JSON::Object::Ptr& menage) {
    std::vector<std::string> out;
    if (!menage) return out;
    if (auto membres = menage->getArray("membres")) {
        for (unsigned i = 0; i < membres->size(); ++i) {
            auto p = membres->getObject(i);
            std::string name = Poco::trim(textOf(p, "prenom") + " " + textOf(p, "nom"));
            if (!name.empty()) out.push_back(name);
        }
    }
    return out;
}

std::string householdSummary(const storage::Dossier& d) {
    auto menage = parseObject(d.menageJson);
    std::string nom = textOf(menage, "nom");
    auto names = memberNames(menage);
    if (!nom.empty()) return nom;
    if (names.empty()) return "—";
    std::string out = names.front();
    if (names.size() > 1) out += " et " + std::to_string(names.size() - 1) + " autre" + (names.size() > 2 ? "s" : "");
    return out;
}

std::string numeroUnique(const storage::Dossier& d) {
    std::string n = textOf(parseObject(d.menageJson), "numeroUnique");
    return n.empty() ? textOf(parseObject(d.logementJson), "numeroUnique") : n;
}

std::string epochToIso(std::int64_t seconds) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(seconds)),
                                           "%Y-%m-%dT%H:%M:%S.000Z");
}

std::string urlEncode(const std::string& s) {
    std::string out;
    Poco::URI::encode(s, "&=?#+%/ ", out);
    return out;
}

// A text input of a page form, GOV.UK style: label, hint, error, aria-describedby.
mstch::map textField(const std::string& pointer, const std::string& label, const std::string& value,
                     const std::map<std::string, std::string>& errors, const std::string& hint = "", bool required = false) {
    mstch::map f;
    const std::string id = idOfPointer(pointer);
    f["id"] = id;
    f["name"] = pointer;
    f["label"] = label;
    f["value"] = value;
    f["required"] = required;
    std::string describedBy;
    if (!hint.empty()) {
        f["hint"] = hint;
        describedBy = id + "-aide";
    }
    auto e = errors.find(pointer);
    if (e != errors.end()) {
        f["error"] = e->second;
        describedBy += (describedBy.empty() ? "" : " ") + id + "-erreur";
    }
    if (!describedBy.empty()) f["describedBy"] = describedBy;
    return f;
}

// The field errors of a Status, by pointer, and the error summary's items (links to the inputs).
std::map<std::string, std::string> errorsByPointer(const Status& st, mstch::array& summary,
                                                   const std::string& fallbackPointer) {
    std::map<std::string, std::string> out;
    for (const auto& d : st.details()) {
        std::string path = d.path.empty() ? fallbackPointer : d.path;
        if (out.count(path)) continue;
        out[path] = d.message;
        summary.push_back(mstch::map{{"id", idOfPointer(path)}, {"message", d.message}});
    }
    if (out.empty() && !st.isOk()) {
        out[fallbackPointer] = st.message();
        summary.push_back(mstch::map{{"id", idOfPointer(fallbackPointer)}, {"message", st.message()}});
    }
    return out;
}

std::string homeOf(const service::Caller& c) {
    if (c.kind == "financeur") return "/actions"; // the actions it funds (web/FunderPages)
    return c.kind == "association" ? "/dossiers" : "/accueil";
}

} // namespace

void addWebRoutes(http::Router& router, const WebApp& app, const WebServices& services) {
    auto dossiers = services.dossiers;
    auto transmissions = services.transmissions;
    const service::AccountService& accounts = app.accounts();

    addStaticRoutes(router, app, app.settings().staticDir);

    app.page(router, "GET", "/", [&app](Page& page) {
        if (page.caller.userId.empty()) return app.redirect("/connexion");
        return app.redirect(homeOf(page.caller));
    }, Access::Public);

    // --- Sign-in and sign-out ------------------------------------------------
    auto signinPage = [&app](Page& page, const std::string& email, const std::string& error, int status) {
        // Double-submit token: the form's hidden field must equal this cookie (login CSRF).
        std::string token = WebApp::cookie(page.request, SIGNIN_CSRF_COOKIE);
        bool reuse = token.size() == 32 && token.find_first_not_of("0123456789abcdef") == std::string::npos;
        if (!reuse) token = randomToken(16);
        mstch::map ctx{{"email", email}, {"signinCsrf", token}, {"retour", page.query.get("retour", page.form.get("retour"))}};
        if (!error.empty()) ctx["error"] = error;
        const std::string m = page.query.get("message");
        if (m == "deconnecte") ctx["message"] = std::string("Vous êtes déconnecté.");
        else if (m == "expire") ctx["message"] = std::string("Votre session a expiré : connectez-vous à nouveau.");
        Page anonymous{page.request, {}, "", {}, page.query, false, ""};
        Reply r = app.render(anonymous, "connexion", ctx, error.empty() ? "Se connecter" : "Erreur : se connecter", status);
        if (!reuse) r.headers["Set-Cookie"] = app.signinCsrfCookie(page.request, token);
        return r;
    };
    app.page(router, "GET", "/connexion", [&app, signinPage](Page& page) {
        if (!page.caller.userId.empty() && !page.mustChangePassword) return app.redirect(homeOf(page.caller));
        return signinPage(page, "", "", 200);
    }, Access::Public);
    app.page(router, "POST", "/connexion", [&app, &accounts, signinPage](Page& page) {
        const std::string expected = WebApp::cookie(page.request, SIGNIN_CSRF_COOKIE);
        const std::string sent = page.form.get(CSRF_FIELD);
        if (expected.empty() || sent != expected)
            return app.errorPage(page, Status::permissionDenied("csrf_invalid",
                                                                "Le formulaire de connexion a expiré : rechargez la page puis recommencez."));
        const std::string email = page.form.get("email");
        auto signed_ = accounts.signIn(email, page.form.get("password"), app.clientAddress(page.request));
        if (!signed_.isOk()) {
            const bool throttled = signed_.status().errorCode() != "signin_failed" &&
                                   signed_.status().code() == Status::Code::Unauthenticated;
            if (signed_.status().code() != Status::Code::Unauthenticated) return app.errorPage(page, signed_.status());
            Reply r = signinPage(page, email, signed_.status().message(), throttled ? 429 : 200);
            return r;
        }
        // A new session id at every sign-in (no fixation); an earlier session of this browser ends.
        if (!page.sessionToken.empty()) accounts.signOut(page.sessionToken);
        std::string target = signed_.value().mustChangePassword ? "/mot-de-passe" : homeOf(signed_.value().caller);
        const std::string retour = page.form.get("retour");
        if (!signed_.value().mustChangePassword && retour.size() > 1 && retour[0] == '/' && retour[1] != '/' &&
            retour.compare(0, 10, "/connexion") != 0)
            target = retour;
        Reply r = app.redirect(target);
        r.headers["Set-Cookie"] = app.sessionCookie(page.request, signed_.value().sessionToken);
        return r;
    }, Access::Public);
    app.page(router, "POST", "/deconnexion", [&app, &accounts](Page& page) {
        accounts.signOut(page.sessionToken);
        Reply r = app.redirect("/connexion?message=deconnecte");
        r.headers["Set-Cookie"] = app.sessionCookie(page.request, "");
        return r;
    });

    // --- Password --------------------------------------------------------------
    auto passwordPage = [&app](Page& page, const Status& st, bool done) {
        mstch::array summary;
        std::map<std::string, std::string> errors;
        if (!st.isOk()) errors = errorsByPointer(st, summary, "/password");
        auto field = [&](const std::string& id, const std::string& label, const std::string& hint, const std::string& ac) {
            mstch::map f{{"id", id}, {"label", label}, {"autocomplete", ac}};
            std::string described;
            if (!hint.empty()) {
                f["hint"] = hint;
                described = id + "-aide";
            }
            auto e = errors.find("/" + id);
            if (e != errors.end()) {
                f["error"] = e->second;
                described += (described.empty() ? "" : " ") + id + "-erreur";
            }
            if (!described.empty()) f["describedBy"] = described;
            return f;
        };
        mstch::array fields{
            field("current", page.mustChangePassword ? "Mot de passe provisoire" : "Mot de passe actuel", "", "current-password"),
            field("password", "Nouveau mot de passe",
                  "Au moins " + std::to_string(app.accounts().settings().minPasswordChars) +
                      " caractères. Une phrase de plusieurs mots est facile à retenir.",
                  "new-password"),
            field("confirmation", "Confirmez le nouveau mot de passe", "", "new-password")};
        mstch::map ctx{{"fields", fields}, {"errors", summary}, {"mustChange", page.mustChangePassword}, {"done", done}};
        std::string title = page.mustChangePassword ? "Choisir votre mot de passe" : "Changer de mot de passe";
        return app.render(page, "mot-de-passe", ctx, summary.empty() ? title : "Erreur : " + title, summary.empty() ? 200 : 400);
    };
    app.page(router, "GET", "/mot-de-passe", [passwordPage](Page& page) {
        return passwordPage(page, Status::ok(), page.query.get("fait") == "1");
    });
    app.page(router, "POST", "/mot-de-passe", [&app, &accounts, passwordPage](Page& page) {
        Status st = accounts.changePassword(page.caller, page.form.get("current"), page.form.get("password"),
                                            page.form.get("confirmation"));
        if (!st.isOk()) {
            if (st.code() != Status::Code::InvalidArgument) return app.errorPage(page, st);
            return passwordPage(page, st, false);
        }
        if (page.mustChangePassword) return app.redirect(homeOf(page.caller));
        return app.redirect("/mot-de-passe?fait=1");
    });

    // --- Home of landlords and funders -------------------------------------------
    app.page(router, "GET", "/accueil", [&app](Page& page) {
        if (page.caller.kind == "association") return app.redirect("/dossiers");
        if (page.caller.kind == "financeur") return app.redirect("/actions");
        std::string space = page.caller.kind == "financeur" ? "espace financeur"
                            : page.caller.kind == "bailleur" ? "espace bailleur" : "espace partenaire";
        return app.render(page, "accueil", {{"kindLabel", std::string(kindLabel(page.caller.kind))}, {"spaceLabel", space},
                                            {"isRecipient", page.caller.kind == "bailleur" || page.caller.kind == "siao"},
                                            {"isBailleur", page.caller.kind == "bailleur"}},
                          "Accueil");
    });

    // --- Dossiers ------------------------------------------------------------------
    app.page(router, "GET", "/dossiers", [&app, &accounts, dossiers](Page& page) {
        if (page.caller.kind != "association") return app.redirect("/accueil");
        storage::DossierSearch q;
        q.search = page.query.get("q");
        q.statut = page.query.get("statut");
        q.referentUserId = page.query.get("referent");
        int pageNo = 1;
        try {
            pageNo = std::max(1, std::min(100000, std::stoi(page.query.get("page", "1"))));
        } catch (...) {
        }
        q.limit = DOSSIERS_PER_PAGE;
        q.offset = (pageNo - 1) * DOSSIERS_PER_PAGE;
        if (q.statut != "" && q.statut != "ouvert" && q.statut != "suspendu" && q.statut != "clos") q.statut.clear();
        auto found = dossiers->searchDossiers(page.caller, q);
        if (!found.isOk()) return app.errorPage(page, found.status());
        auto people = accounts.colleagues(page.caller);
        std::map<std::string, std::string> names;
        mstch::array referents{mstch::map{{"value", std::string()}, {"label", std::string("Tous")}, {"selected", q.referentUserId.empty()}}};
        if (people.isOk())
            for (const auto& [id, name] : people.value()) {
                names[id] = name;
                referents.push_back(mstch::map{{"value", id}, {"label", name}, {"selected", id == q.referentUserId}});
            }
        mstch::array statuts;
        for (const char* s : {"", "ouvert", "suspendu", "clos"})
            statuts.push_back(mstch::map{{"value", std::string(s)},
                                         {"label", std::string(*s ? statutLabel(s) : "Tous")},
                                         {"selected", q.statut == s}});
        mstch::array rows;
        for (const auto& d : found.value().items) {
            auto ref = names.find(d.referentUserId);
            rows.push_back(mstch::map{{"id", d.id},
                                      {"reference", d.reference.empty() ? std::string("(sans référence)") : d.reference},
                                      {"menage", householdSummary(d)},
                                      {"statut", d.statut},
                                      {"statutLabel", std::string(statutLabel(d.statut))},
                                      {"referent", ref == names.end() ? std::string("—") : ref->second},
                                      {"updated", frenchDate(d.updatedAt)}});
        }
        const std::int64_t total = found.value().total;
        const std::int64_t pages = std::max<std::int64_t>(1, (total + DOSSIERS_PER_PAGE - 1) / DOSSIERS_PER_PAGE);
        auto link = [&](int n) {
            std::string l = "/dossiers?page=" + std::to_string(n);
            if (!q.search.empty()) l += "&q=" + urlEncode(q.search);
            if (!q.statut.empty()) l += "&statut=" + q.statut;
            if (!q.referentUserId.empty()) l += "&referent=" + urlEncode(q.referentUserId);
            return l;
        };
        mstch::map ctx{{"q", q.search}, {"statuts", statuts}, {"referents", referents}, {"dossiers", rows}};
        std::string summary;
        if (total == 0) summary = q.search.empty() && q.statut.empty() && q.referentUserId.empty()
                                      ? "Aucun dossier pour l’instant : créez le premier."
                                      : "Aucun dossier ne correspond à votre recherche.";
        else summary = std::to_string(total) + (total > 1 ? " dossiers" : " dossier") +
                       (q.search.empty() && q.statut.empty() && q.referentUserId.empty() ? "" : " correspondant à votre recherche") + ".";
        ctx["summary"] = summary;
        if (pages > 1) {
            mstch::map p{{"page", std::to_string(pageNo)}, {"pages", std::to_string(pages)}};
            if (pageNo > 1) p["previous"] = link(pageNo - 1);
            if (pageNo < pages) p["next"] = link(pageNo + 1);
            ctx["pagination"] = p;
        }
        if (page.query.get("message") == "cree") ctx["message"] = std::string("Le dossier a été créé.");
        std::string title = "Dossiers";
        if (pages > 1) title += " (page " + std::to_string(pageNo) + " sur " + std::to_string(pages) + ")";
        return app.render(page, "dossiers", ctx, title);
    });

    auto newDossierPage = [&app](Page& page, const Status& st) {
        mstch::array summary;
        std::map<std::string, std::string> errors;
        if (!st.isOk()) errors = errorsByPointer(st, summary, "/reference");
        auto value = [&](const std::string& p) { return page.form.get(p); };
        mstch::array fields{
            textField("/reference", "Référence du dossier", value("/reference"), errors,
                      "La référence interne de votre association, par exemple ADG-2026-0147.", false),
            textField("/menage/membres/0/nom", "Nom de la personne de référence du ménage", value("/menage/membres/0/nom"), errors,
                      "", true),
            textField("/menage/membres/0/prenom", "Prénom", value("/menage/membres/0/prenom"), errors, "", false),
            textField("/menage/numeroUnique", "Numéro unique de demande de logement social", value("/menage/numeroUnique"),
                      errors, "Par exemple 0752612345678A.", false)};
        mstch::map ctx{{"fields", fields}, {"errors", summary}};
        return app.render(page, "dossier-nouveau", ctx, summary.empty() ? "Nouveau dossier" : "Erreur : nouveau dossier",
                          summary.empty() ? 200 : 400);
    };
    app.page(router, "GET", "/dossiers/nouveau", [&app, newDossierPage](Page& page) {
        if (page.caller.kind != "association") return app.notFound(page);
        return newDossierPage(page, Status::ok());
    });
    app.page(router, "POST", "/dossiers", [&app, dossiers, newDossierPage](Page& page) {
        if (page.caller.kind != "association") return app.notFound(page);
        const std::string nom = Poco::trim(page.form.get("/menage/membres/0/nom"));
        if (nom.empty())
            return newDossierPage(page, Status::invalidArgument("invalid_dossier", "Le dossier contient des erreurs.",
                                                                {{"/menage/membres/0/nom", "required",
                                                                  "Saisissez le nom de la personne de référence du ménage."}}));
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("reference", Poco::trim(page.form.get("/reference")));
        Poco::JSON::Object::Ptr membre = new Poco::JSON::Object;
        membre->set("nom", nom);
        const std::string prenom = Poco::trim(page.form.get("/menage/membres/0/prenom"));
        if (!prenom.empty()) membre->set("prenom", prenom);
        Poco::JSON::Array::Ptr membres = new Poco::JSON::Array;
        membres->add(membre);
        Poco::JSON::Object::Ptr menage = new Poco::JSON::Object;
        menage->set("membres", membres);
        const std::string nu = Poco::trim(page.form.get("/menage/numeroUnique"));
        if (!nu.empty()) menage->set("numeroUnique", nu);
        body->set("menage", menage);
        body->set("logement", Poco::JSON::Object::Ptr(new Poco::JSON::Object));
        auto created = dossiers->createDossier(page.caller, body);
        if (!created.isOk()) {
            if (created.status().code() == Status::Code::InvalidArgument) return newDossierPage(page, created.status());
            return app.errorPage(page, created.status());
        }
        return app.redirect("/dossiers/" + created.value().id + "?message=cree");
    });

    app.page(router, "GET", "/dossiers/(dos_[0-9a-f]{16})", [&app, &accounts, dossiers, transmissions](Page& page) {
        const std::string& id = page.request.params[0];
        auto d = dossiers->getDossier(page.caller, id);
        if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? app.notFound(page) : app.errorPage(page, d.status());
        const auto& dossier = d.value();
        auto referent = dossiers->store()->dossierReferent(id);
        std::string referentName = "—";
        if (referent.isOk() && !referent.value().empty()) {
            auto people = accounts.colleagues(page.caller);
            if (people.isOk())
                for (const auto& [uid, name] : people.value())
                    if (uid == referent.value()) referentName = name;
        }
        auto menage = parseObject(dossier.menageJson);
        mstch::array membres;
        for (const auto& n : memberNames(menage)) membres.push_back(mstch::map{{"nom", n}});
        const std::string reference = dossier.reference.empty() ? std::string("(sans référence)") : dossier.reference;
        mstch::map dm{{"id", dossier.id},
                      {"reference", reference},
                      {"statut", dossier.statut},
                      {"statutLabel", std::string(statutLabel(dossier.statut))},
                      {"menage", householdSummary(dossier)},
                      {"referent", referentName},
                      {"created", frenchDate(dossier.createdAt)}};
        // Life cycle (retention, docs/rgpd.md): an archived dossier is shown read-only.
        const bool archived = !dossier.archivedAt.empty();
        if (!dossier.closedAt.empty()) dm["closed"] = frenchDate(dossier.closedAt);
        if (archived) dm["archived"] = frenchDate(dossier.archivedAt);
        if (!dossier.erasedAt.empty()) dm["erased"] = frenchDate(dossier.erasedAt);
        const std::string nu = numeroUnique(dossier);
        if (!nu.empty()) dm["numeroUnique"] = nu;
        // Documents with their revisions; the history gathers consents and transmissions.
        struct Event {
            std::string at, kind, title, detail;
        };
        std::vector<Event> events;
        service::DocumentFilter filter;
        filter.dossierId = id;
        filter.limit = 500;
        auto docs = dossiers->listDocuments(page.caller, filter);
        if (!docs.isOk()) return app.errorPage(page, docs.status());
        const auto& forms = *dossiers->renderer()->catalog().forms;
        auto formTitle = [&](const std::string& form) {
            auto def = forms.find(form);
            return def ? def->title : form;
        };
        mstch::array documents;
        for (const auto& doc : docs.value().items) {
            auto revs = dossiers->listRevisions(page.caller, doc.id);
            mstch::array revisions;
            if (revs.isOk())
                for (const auto& r : revs.value())
                    revisions.push_back(mstch::map{{"number", std::to_string(r.number)}, {"date", frenchDate(r.createdAt)}});
            std::string state = "Finalisé";
            if (transmissions) {
                // Sent or refused, read by the recipient, pushed or failed (TransmitPages.cpp).
                auto ds = transmissions->documentDeliveries(page.caller, doc.id);
                if (ds.isOk()) {
                    for (const auto& t : ds.value())
                        if (t.status.transmission.allowed) state = "Finalisé, transmis";
                    for (auto& e : deliveryEvents(ds.value(), formTitle(doc.form)))
                        events.push_back({e.at, e.kind, e.title, e.detail});
                }
            }
            documents.push_back(mstch::map{{"id", doc.id},
                                           {"title", formTitle(doc.form)},
                                           {"revisions", revisions},
                                           {"state", state},
                                           {"updated", frenchDate(doc.updatedAt)}});
        }
        mstch::array consentTable;
        if (transmissions) {
            auto consents = transmissions->listConsents(page.caller, id);
            if (consents.isOk()) consentTable = consentRows(consents.value(), forms, id);
            if (consents.isOk())
                for (const auto& c : consents.value()) {
                    const auto& rec = c.record;
                    bool refusal = rec.kind == "refusal";
                    events.push_back({epochToIso(rec.givenAt), refusal ? "refus" : "consentement",
                                      (refusal ? "Refus de transmission à " : "Consentement à la transmission à ") +
                                          c.recipientName,
                                      "Donné par " + rec.givenByName});
                    if (rec.withdrawnAt)
                        events.push_back({epochToIso(*rec.withdrawnAt), "retrait",
                                          "Consentement retiré (transmission à " + c.recipientName + ")", ""});
                }
        }
        std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
        mstch::array timeline;
        for (const auto& e : events)
            timeline.push_back(mstch::map{{"date", kit::parisDateTimeOfIso(e.at)}, {"kind", e.kind}, {"title", e.title}, {"detail", e.detail}});
        mstch::array newDocuments;
        for (const auto& def : forms.all())
            // The household's receipt of consents is generated from the consent records, never filled in.
            if (def->personalData && def->id != "recu-consentements") newDocuments.push_back(mstch::map{{"form", def->id}, {"label", def->title}});
        mstch::map ctx{{"dossier", dm}, {"membres", membres}, {"documents", documents}, {"timeline", timeline},
                       {"newDocuments", newDocuments}, {"consents", consentTable},
                       {"canTransmit", transmissions != nullptr && !archived}, {"editable", !archived},
                       {"closable", !archived && dossier.statut != "clos"},
                       {"reopenable", !archived && dossier.statut == "clos"}, {"csrf", page.csrfToken}};
        const std::string message = page.query.get("message");
        if (message == "cree") ctx["message"] = std::string("Le dossier a été créé.");
        else if (message == "consentement") ctx["message"] = std::string("Le consentement du ménage a été enregistré.");
        else if (message == "refus") ctx["message"] = std::string("Le refus du ménage a été enregistré : rien ne sera transmis à ce bailleur.");
        else if (message == "retire") ctx["message"] = std::string("Le consentement a été retiré : il ne permet plus aucune transmission.");
        else if (message == "clos") ctx["message"] = std::string("Le dossier a été clos : les durées de conservation courent à partir d’aujourd’hui.");
        else if (message == "rouvert") ctx["message"] = std::string("Le dossier a été rouvert : il n’est plus compté comme clos.");
        return app.render(page, "dossier", ctx, "Dossier " + reference);
    });

    // --- The household's rights (docs/rgpd.md): right-of-access export, closing ----------------
    auto exporter = std::make_shared<const service::HouseholdExport>(dossiers);
    app.page(router, "GET", "/dossiers/(dos_[0-9a-f]{16})/export\\.zip", [&app, exporter](Page& page) {
        if (page.caller.kind != "association") return app.notFound(page);
        auto zip = exporter->exportDossier(page.caller, page.request.params[0], "web");
        if (!zip.isOk()) return zip.status().code() == Status::Code::NotFound ? app.notFound(page) : app.errorPage(page, zip.status());
        return kit::download(zip.value().bytes, "application/zip", zip.value().fileName, /*inlineView=*/false);
    });
    // Closing asks first (GOV.UK confirmation page): what closing means for the retention periods.
    const service::RetentionPolicy retention = services.retention;
    auto months = [](int n) {
        if (n % 12 == 0) return std::to_string(n / 12) + (n == 12 ? " an" : " ans");
        return std::to_string(n) + " mois";
    };
    app.page(router, "GET", "/dossiers/(dos_[0-9a-f]{16})/clore", [&app, dossiers, retention, months](Page& page) {
        const std::string& id = page.request.params[0];
        auto d = dossiers->getDossier(page.caller, id);
        if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? app.notFound(page) : app.errorPage(page, d.status());
        const storage::Dossier& dossier = d.value();
        const std::string reference = dossier.reference.empty() ? std::string("(sans référence)") : dossier.reference;
        mstch::map ctx{{"id", dossier.id},
                       {"reference", reference},
                       {"archiveAfter", months(retention.archiveAfterMonths)},
                       {"eraseAfter", months(retention.eraseAfterMonths)},
                       {"closable", dossier.archivedAt.empty() && dossier.statut != "clos"},
                       {"csrf", page.csrfToken}};
        if (!dossier.closedAt.empty()) ctx["closed"] = frenchDate(dossier.closedAt);
        if (!dossier.archivedAt.empty()) ctx["archived"] = frenchDate(dossier.archivedAt);
        return app.render(page, "dossier-clore", ctx, "Clore le dossier " + reference);
    });
    // The same use case as POST /v1/dossiers/{id}/close and /reopen (audited).
    auto closing = [&app, dossiers](Page& page, bool close) {
        const std::string& id = page.request.params[0];
        auto d = close ? dossiers->closeDossier(page.caller, id) : dossiers->reopenDossier(page.caller, id);
        if (!d.isOk()) return d.status().code() == Status::Code::NotFound ? app.notFound(page) : app.errorPage(page, d.status());
        return app.redirect("/dossiers/" + id + (close ? "?message=clos" : "?message=rouvert"));
    };
    app.page(router, "POST", "/dossiers/(dos_[0-9a-f]{16})/clore", [closing](Page& page) { return closing(page, true); });
    app.page(router, "POST", "/dossiers/(dos_[0-9a-f]{16})/rouvrir", [closing](Page& page) { return closing(page, false); });

    // --- Users of the organisation (admins) -----------------------------------------------
    auto usersPage = [&app, &accounts](Page& page, const Status& st, const std::string& message,
                                       const std::string& oneTimeName, const std::string& oneTimePassword) {
        auto users = accounts.listUsers(page.caller);
        if (!users.isOk()) return app.errorPage(page, users.status());
        mstch::array rows;
        for (const auto& u : users.value()) {
            bool disabled = !u.disabledAt.empty();
            rows.push_back(mstch::map{{"id", u.id},
                                      {"name", u.name},
                                      {"email", u.email},
                                      {"roleLabel", std::string(u.role == "admin" ? "Administrateur" : "Membre")},
                                      {"state", std::string(disabled ? "Désactivé" : u.mustChangePassword ? "Mot de passe provisoire" : "Actif")},
                                      {"self", u.id == page.caller.userId},
                                      {"toggleAction", std::string(disabled ? "reactiver" : "desactiver")},
                                      {"toggleLabel", std::string(disabled ? "Réactiver" : "Désactiver")},
                                      {"csrf", page.csrfToken}});
        }
        mstch::array summary;
        std::map<std::string, std::string> errors;
        if (!st.isOk()) errors = errorsByPointer(st, summary, "/email");
        auto field = [&](const std::string& id, const std::string& label, const std::string& type) {
            mstch::map f{{"id", id}, {"label", label}, {"type", type}, {"value", st.isOk() ? std::string() : page.form.get(id)}};
            auto e = errors.find("/" + id);
            if (e != errors.end()) f["error"] = e->second;
            return f;
        };
        mstch::map ctx{{"users", rows},
                       {"errors", summary},
                       {"fields", mstch::array{field("name", "Prénom et nom", "text"), field("email", "Adresse électronique", "email")}},
                       {"roleMembre", st.isOk() || page.form.get("role") != "admin"},
                       {"roleAdmin", !st.isOk() && page.form.get("role") == "admin"}};
        auto roleError = errors.find("/role");
        if (roleError != errors.end()) ctx["roleError"] = roleError->second;
        if (!message.empty()) ctx["message"] = message;
        if (!oneTimePassword.empty()) ctx["oneTime"] = mstch::map{{"name", oneTimeName}, {"password", oneTimePassword}};
        return app.render(page, "utilisateurs", ctx, summary.empty() ? "Utilisateurs" : "Erreur : utilisateurs",
                          summary.empty() ? 200 : 400);
    };
    app.page(router, "GET", "/utilisateurs", [usersPage](Page& page) {
        std::string m = page.query.get("message");
        std::string message = m == "desactive" ? "Le compte a été désactivé ; ses sessions sont fermées."
                              : m == "reactive" ? "Le compte a été réactivé." : "";
        return usersPage(page, Status::ok(), message, "", "");
    }, Access::Admin);
    app.page(router, "POST", "/utilisateurs", [&app, &accounts, usersPage](Page& page) {
        service::NewUser input{"", page.form.get("email"), page.form.get("name"), page.form.get("role"), ""};
        auto created = accounts.createUser(page.caller, input);
        if (!created.isOk()) {
            if (created.status().code() == Status::Code::InvalidArgument) return usersPage(page, created.status(), "", "", "");
            if (created.status().errorCode() == "user_exists")
                return usersPage(page, Status::invalidArgument("user_exists", created.status().message(),
                                                               {{"/email", "unique", created.status().message()}}),
                                 "", "", "");
            return app.errorPage(page, created.status());
        }
        // The one-time password is shown once, in this answer (never in a URL).
        return usersPage(page, Status::ok(), "Le compte de " + created.value().user.name + " a été créé.",
                         created.value().user.name, created.value().oneTimePassword);
    }, Access::Admin);
    app.page(router, "POST", "/utilisateurs/(usr_[0-9a-f]{16})/(desactiver|reactiver|reinitialiser)",
             [&app, &accounts, usersPage](Page& page) {
                 const std::string& id = page.request.params[0];
                 const std::string& action = page.request.params[1];
                 if (action == "reinitialiser") {
                     auto pw = accounts.resetPassword(page.caller, id);
                     if (!pw.isOk()) return app.errorPage(page, pw.status());
                     auto u = accounts.listUsers(page.caller);
                     std::string name;
                     if (u.isOk())
                         for (const auto& x : u.value())
                             if (x.id == id) name = x.name;
                     return usersPage(page, Status::ok(), "Le mot de passe de " + name + " a été réinitialisé.", name,
                                      pw.value());
                 }
                 Status st = accounts.setDisabled(page.caller, id, action == "desactiver");
                 if (!st.isOk()) return app.errorPage(page, st);
                 return app.redirect(std::string("/utilisateurs?message=") + (action == "desactiver" ? "desactive" : "reactive"));
             },
             Access::Admin);
    // Issue 12: transmission step, consents, landlord's and SIAO's inbox (TransmissionPages.h).
    addTransmissionPages(router, app, services);
}

void addWebFallback(http::Router& router, const WebApp& app) {
    // Every other path outside /v1/ (the API keeps its JSON 404).
    for (const char* method : {"GET", "POST"})
        app.page(router, method, "/(?!v1/|v1$|healthz$).*", [&app](Page& page) { return app.notFound(page); }, Access::Public);
}

} // namespace passerelle::web
