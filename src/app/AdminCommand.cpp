#include "app/AdminCommand.h"

#include <iomanip>
#include <ostream>

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include "audit/AuditChain.h"
#include "common/Text.h"
#include "service/TransmissionService.h"
#include "storage/ApiKeys.h"

namespace passerelle::app {

namespace {

const int EXIT_OK_ = 0, EXIT_USAGE_ = 64, EXIT_DATAERR_ = 65, EXIT_NOINPUT_ = 66, EXIT_SOFTWARE_ = 70;

int fail(std::ostream& err, const Status& s) {
    err << "erreur : " << s.toString() << std::endl;
    switch (s.code()) {
    case Status::Code::InvalidArgument:
    case Status::Code::FailedPrecondition: return EXIT_DATAERR_;
    case Status::Code::NotFound: return EXIT_NOINPUT_;
    default: return EXIT_SOFTWARE_;
    }
}

// An organisation by id ("org_…") or by exact name.
Result<storage::Organisation> findOrg(storage::Store& store, const std::string& ref) {
    auto byId = store.findOrganisation(ref);
    if (byId.isOk() || byId.status().code() != Status::Code::NotFound) return byId;
    auto byName = store.findOrganisationByName(ref);
    if (byName.isOk() || byName.status().code() != Status::Code::NotFound) return byName;
    return Status::notFound("organisation_not_found", "Organisation introuvable : « " + ref +
                                                          " » (donnez son identifiant org_… ou son nom exact ; voir admin list-orgs).");
}

void usage(std::ostream& err) {
    err << "usage :\n"
           "  passerelle admin create-org NOM --kind association|bailleur|financeur|siao\n"
           "  passerelle admin create-key ORGANISATION [--name PERSONNE]\n"
           "  passerelle admin revoke-key PREFIXE|ID\n"
           "  passerelle admin list-orgs\n"
           "  passerelle admin list-keys ORGANISATION\n"
           "  passerelle admin create-partnership ASSOCIATION BAILLEUR [--siao SIAO]\n"
           "  passerelle admin set-partnership-siao ASSOCIATION BAILLEUR SIAO|aucun\n"
           "  passerelle admin create-action ASSOCIATION INTITULÉ [--funders FINANCEUR1,FINANCEUR2]\n"
           "  passerelle admin set-signing-links ASSOCIATION BAILLEUR oui|non\n"
           "  passerelle admin set-partnership-in-person ASSOCIATION BAILLEUR on|off\n"
           "  passerelle admin set-org-contact ORGANISATION ADRESSE TELEPHONE COURRIEL\n"
           "  passerelle admin set-webhook BAILLEUR|SIAO https://…\n"
           "Options communes : --data-dir DIR (./var par défaut) ou --db sqlite:CHEMIN | postgresql://…"
        << std::endl;
}

} // namespace

std::string firstStartHelp() {
    return "Aucune organisation n'est encore enregistrée. Pour créer la première organisation et sa clé d'API :\n"
           "  passerelle admin create-org \"Nom de l'association\" --kind association\n"
           "  passerelle admin create-key \"Nom de l'association\" --name \"Prénom Nom\"\n"
           "(avec les mêmes options --data-dir ou --db que serve). La clé n'est affichée qu'une fois ;\n"
           "envoyez-la dans l'en-tête « Authorization: Bearer <clé> ».";
}

Result<std::shared_ptr<storage::PocoStore>> openConfiguredStore(const std::string& dataDir, const std::string& dbUrl,
                                                                int maxSessions,
                                                                std::shared_ptr<const audit::AuditKeyring> auditKeys,
                                                                bool mustExist) {
    storage::StoreConfig config;
    if (!dbUrl.empty()) {
        auto parsed = storage::parseDatabaseUrl(dbUrl);
        if (!parsed.isOk()) return parsed.status();
        config = parsed.value();
    } else {
        config = storage::sqliteInDataDir(dataDir.empty() ? "var" : dataDir);
    }
    if (maxSessions > 0) config.maxSessions = maxSessions;
    config.auditKeys = std::move(auditKeys);
    config.mustExist = mustExist;
    return storage::PocoStore::open(config);
}

int runAdmin(storage::Store& store, const std::vector<std::string>& args, const AdminOptions& options,
             std::ostream& out, std::ostream& err) {
    if (args.empty()) {
        usage(err);
        return EXIT_USAGE_;
    }
    const std::string& cmd = args[0];
    const std::size_t n = args.size() - 1;

    if (cmd == "create-org" && n == 1) {
        if (options.kind.empty()) {
            err << "erreur : précisez le type avec --kind association|bailleur|financeur|siao" << std::endl;
            return EXIT_USAGE_;
        }
        std::string name = Poco::trim(args[1]);
        if (name.empty()) return fail(err, Status::invalidArgument("name_required", "Le nom de l'organisation est vide."));
        auto org = store.createOrganisation(name, options.kind);
        if (!org.isOk()) return fail(err, org.status());
        out << "Organisation créée : " << org.value().id << " — " << org.value().name << " (" << org.value().kind << ")"
            << std::endl;
        out << "Créez-lui une clé : passerelle admin create-key " << org.value().id << " --name \"Prénom Nom\"" << std::endl;
        return EXIT_OK_;
    }
    if (cmd == "create-key" && n == 1) {
        auto org = findOrg(store, args[1]);
        if (!org.isOk()) return fail(err, org.status());
        storage::GeneratedKey g = storage::generateApiKey();
        auto key = store.createApiKey(org.value().id, options.name, g.prefix, g.hash);
        if (!key.isOk()) return fail(err, key.status());
        out << "Clé créée pour « " << org.value().name << " » (" << org.value().kind << ") : " << key.value().id
            << ", préfixe " << key.value().prefix;
        if (!options.name.empty()) out << ", au nom " << text::ofName(options.name);
        out << std::endl;
        out << "Conservez-la maintenant : elle ne sera plus jamais affichée." << std::endl;
        out << g.secret << std::endl;
        return EXIT_OK_;
    }
    if (cmd == "revoke-key" && n == 1) {
        auto key = store.revokeApiKey(args[1]);
        if (!key.isOk()) return fail(err, key.status());
        out << "Clé révoquée : " << key.value().id << " (préfixe " << key.value().prefix << ", le "
            << key.value().revokedAt << ")" << std::endl;
        return EXIT_OK_;
    }
    if (cmd == "list-orgs" && n == 0) {
        auto orgs = store.listOrganisations();
        if (!orgs.isOk()) return fail(err, orgs.status());
        if (orgs.value().empty()) out << firstStartHelp() << std::endl;
        for (const auto& o : orgs.value()) {
            auto keys = store.listApiKeys(o.id);
            std::size_t valid = 0;
            if (keys.isOk())
                for (const auto& k : keys.value()) valid += k.revokedAt.empty();
            out << o.id << "  " << std::left << std::setw(11) << o.kind << "  " << o.name << "  (" << valid
                << " clé(s) valide(s))" << std::endl;
        }
        return EXIT_OK_;
    }
    if (cmd == "list-keys" && n == 1) {
        auto org = findOrg(store, args[1]);
        if (!org.isOk()) return fail(err, org.status());
        auto keys = store.listApiKeys(org.value().id);
        if (!keys.isOk()) return fail(err, keys.status());
        for (const auto& k : keys.value()) {
            out << k.id << "  " << k.prefix << "…  " << (k.revokedAt.empty() ? "valide" : "révoquée le " + k.revokedAt)
                << "  créée le " << k.createdAt;
            if (!k.name.empty()) out << "  " << k.name;
            out << std::endl;
        }
        return EXIT_OK_;
    }
    if ((cmd == "create-partnership" && n == 2) || (cmd == "set-partnership-siao" && n == 3)) {
        auto a = findOrg(store, args[1]);
        if (!a.isOk()) return fail(err, a.status());
        auto b = findOrg(store, args[2]);
        if (!b.isOk()) return fail(err, b.status());
        if (a.value().kind != storage::KIND_ASSOCIATION || b.value().kind != storage::KIND_BAILLEUR)
            return fail(err, Status::invalidArgument("bad_partnership", "Un partenariat relie une association (d'abord) à un bailleur."));
        // Seed 004: "le SIAO est mis en copie de l'envoi" — where the partnership says so.
        const std::string siaoRef = cmd == "create-partnership" ? options.siao : args[3];
        storage::Organisation siao;
        if (!siaoRef.empty() && siaoRef != "aucun") {
            auto s = findOrg(store, siaoRef);
            if (!s.isOk()) return fail(err, s.status());
            if (s.value().kind != storage::KIND_SIAO)
                return fail(err, Status::invalidArgument("not_a_siao", "« " + s.value().name + " » n'est pas un SIAO."));
            siao = s.value();
        }
        auto p = cmd == "create-partnership" ? store.createPartnership(a.value().id, b.value().id, siao.id)
                                             : store.setPartnershipSiao(a.value().id, b.value().id, siao.id);
        if (!p.isOk()) return fail(err, p.status());
        out << (cmd == "create-partnership" ? "Partenariat créé : " : "Partenariat mis à jour : ") << p.value().id
            << " — " << a.value().name << " / " << b.value().name;
        out << (siao.id.empty() ? std::string(" (pas de SIAO en copie)") : " — SIAO en copie : " + siao.name) << std::endl;
        return EXIT_OK_;
    }
    // Signing links (issue 10): personal single-use links for household members, where the partnership enables them.
    if (cmd == "set-signing-links" && n == 3) {
        auto a = findOrg(store, args[1]);
        if (!a.isOk()) return fail(err, a.status());
        auto b = findOrg(store, args[2]);
        if (!b.isOk()) return fail(err, b.status());
        if (args[3] != "oui" && args[3] != "non")
            return fail(err, Status::invalidArgument("bad_value", "Valeur attendue : oui ou non."));
        auto p = store.findPartnership(a.value().id, b.value().id);
        if (!p.isOk()) return fail(err, p.status());
        Status st = store.setSigningLinksEnabled(a.value().id, b.value().id, args[3] == "oui",
                                                 {"signing_links.setting", "system", p.value().id,
                                                  std::string("{\"enabled\":") + (args[3] == "oui" ? "true}" : "false}")});
        if (!st.isOk()) return fail(err, st);
        out << "Signature par lien " << (args[3] == "oui" ? "activée" : "désactivée") << " : " << a.value().name << " / "
            << b.value().name << std::endl;
        return EXIT_OK_;
    }
    // Issue 11 item 6: a consent recorded in person, without a signed autorisation, is weaker
    // evidence; only a partnership that chose to accept it does (default: refused).
    if (cmd == "set-partnership-in-person" && n == 3) {
        auto a = findOrg(store, args[1]);
        if (!a.isOk()) return fail(err, a.status());
        auto b = findOrg(store, args[2]);
        if (!b.isOk()) return fail(err, b.status());
        if (args[3] != "on" && args[3] != "off")
            return fail(err, Status::invalidArgument("bad_value", "Valeur attendue : on ou off."));
        auto p = store.findPartnership(a.value().id, b.value().id);
        if (!p.isOk()) return fail(err, p.status());
        const bool on = args[3] == "on";
        Status st = store.setInPersonConsentAllowed(a.value().id, b.value().id, on,
                                                    {"partnership.in_person_consent", "system", p.value().id,
                                                     std::string("{\"allowed\":") + (on ? "true}" : "false}")});
        if (!st.isOk()) return fail(err, st);
        out << "Accord recueilli en personne (sans autorisation signée) " << (on ? "accepté" : "refusé") << " : "
            << a.value().name << " / " << b.value().name << std::endl;
        return EXIT_OK_;
    }
    // Issue 11 item 11: the data controller's contact, printed on the household's receipt.
    if (cmd == "set-org-contact" && n == 4) {
        auto o = findOrg(store, args[1]);
        if (!o.isOk()) return fail(err, o.status());
        storage::OrganisationContact c{Poco::trim(args[2]), Poco::trim(args[3]), Poco::trim(args[4])};
        Status st = store.setOrganisationContact(o.value().id, c, {"organisation.contact", "system", o.value().id, "{}"});
        if (!st.isOk()) return fail(err, st);
        out << "Coordonnées enregistrées : " << o.value().name << std::endl;
        return EXIT_OK_;
    }
    if (cmd == "create-action" && n == 2) {
        auto a = findOrg(store, args[1]);
        if (!a.isOk()) return fail(err, a.status());
        if (a.value().kind != storage::KIND_ASSOCIATION)
            return fail(err, Status::invalidArgument("bad_action", "Une action est portée par une association."));
        std::vector<std::string> funders;
        Poco::StringTokenizer tok(options.funders, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        for (const auto& f : tok) {
            auto org = findOrg(store, f);
            if (!org.isOk()) return fail(err, org.status());
            if (org.value().kind != storage::KIND_FINANCEUR)
                return fail(err, Status::invalidArgument("not_a_funder", "« " + org.value().name + " » n'est pas un financeur."));
            funders.push_back(org.value().id);
        }
        auto act = store.createAction(args[2], a.value().id, funders);
        if (!act.isOk()) return fail(err, act.status());
        out << "Action créée : " << act.value().id << " — " << act.value().title << " (" << funders.size()
            << " financeur(s))" << std::endl;
        return EXIT_OK_;
    }
    if (cmd == "set-webhook" && n == 2) {
        auto b = findOrg(store, args[1]);
        if (!b.isOk()) return fail(err, b.status());
        if (b.value().kind != storage::KIND_BAILLEUR && b.value().kind != storage::KIND_SIAO)
            return fail(err, Status::invalidArgument("not_a_landlord", "Un webhook de réception se déclare pour un bailleur ou un SIAO."));
        if (Status ok = service::checkWebhookUrl(args[2]); !ok.isOk()) return fail(err, ok);
        auto w = store.setWebhook(b.value().id, args[2],
                                  {"webhook.set", "admin", b.value().id, "{\"url\":\"" + args[2] + "\"}"});
        if (!w.isOk()) return fail(err, w.status());
        out << "Webhook de " << b.value().name << " : " << w.value().url << std::endl;
        return EXIT_OK_;
    }
    err << "erreur : sous-commande ou nombre d'arguments incorrect : admin " << cmd << std::endl;
    usage(err);
    return EXIT_USAGE_;
}

} // namespace passerelle::app
