// passerelle: one executable, a Poco::Util::ServerApplication.
//   passerelle render FORM INPUT.json -o OUT.pdf [--format pdf|xlsx] [--variant NAME]
//   passerelle validate FORM INPUT.json
//   passerelle forms
//   passerelle serve [--port N] [--host H] [--data-dir DIR | --db URL]
//   passerelle admin create-org|create-key|revoke-key|list-orgs|list-keys|create-partnership|set-partnership-siao|create-action|set-webhook …
//   passerelle audit verify [--data-dir DIR | --db URL]
// Reads configuration once (command line, then --config file, then defaults)
// and wires everything; the commands themselves are thin adapters over services.
#include <malloc.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <Poco/File.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Path.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/IntValidator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include "app/AdminCommand.h"
#include "common/Locale.h"
#include "forms/FormRegistry.h"
#include "http/ApiRoutes.h"
#include "http/ConsentRoutes.h"
#include "http/HttpServer.h"
#include "service/DossierService.h"
#include "service/RenderService.h"
#include "service/TransmissionService.h"

#ifndef PASSERELLE_DEFAULT_DATA_DIR
#define PASSERELLE_DEFAULT_DATA_DIR "."
#endif

using Poco::Util::Application;
using Poco::Util::Option;
using Poco::Util::OptionSet;

namespace passerelle {

class PasserelleApp : public Poco::Util::ServerApplication {
protected:
    void defineOptions(OptionSet& options) override {
        ServerApplication::defineOptions(options);
        auto opt = [&](const char* full, const char* shortName, const char* help, const char* arg) {
            Option o(full, shortName, help, false);
            if (arg) o.argument(arg, true);
            o.repeatable(false);
            o.callback(Poco::Util::OptionCallback<PasserelleApp>(this, &PasserelleApp::handleOption));
            options.addOption(o);
        };
        opt("help", "h", "Affiche l'aide.", nullptr);
        opt("output", "o", "Fichier de sortie (render).", "FICHIER");
        opt("format", "f", "Format de sortie : pdf ou xlsx (par défaut : extension du fichier).", "FORMAT");
        opt("variant", "V", "Variante du modèle (territoire).", "NOM");
        opt("port", "p", "Port HTTP (serve ; 8080 par défaut).", "N");
        opt("host", "H", "Adresse d'écoute (serve ; 127.0.0.1 par défaut).", "ADRESSE");
        opt("forms", "", "Répertoire des formulaires.", "DIR");
        opt("templates", "", "Répertoire des modèles.", "DIR");
        opt("fonts", "", "Répertoire des polices.", "DIR");
        opt("data-dir", "", "Répertoire des données (base SQLite).", "DIR");
        opt("db", "", "Base de données : sqlite:CHEMIN ou postgresql://…", "URL");
        opt("max-body", "", "Taille maximale d'un corps de requête, en octets.", "N");
        opt("config", "c", "Fichier de configuration (.properties).", "FICHIER");
        opt("kind", "", "Type d'organisation (admin create-org) : association, bailleur, financeur ou siao.", "TYPE");
        opt("name", "", "Personne qui utilise la clé (admin create-key).", "NOM");
        opt("funders", "", "Financeurs d'une action, séparés par des virgules (admin create-action).", "ORGS");
        opt("siao", "", "SIAO mis en copie des transmissions du partenariat (admin create-partnership).", "ORG");
    }

    void handleOption(const std::string& name, const std::string& value) {
        if (name == "help") { _help = true; stopOptionsProcessing(); return; }
        if (name == "config") { loadConfiguration(value); return; }
        config().setString("passerelle." + name, value);
    }

    void initialize(Application& self) override {
        ServerApplication::initialize(self);
        // Numbers in XLSX and PDF are written with a decimal point whatever the environment (common/Locale.h).
        enforceCNumericLocale();
        // Keep freed memory in the process: returning it to the kernel makes page faults costly here (see bench/).
        mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
        mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    }

    int main(const std::vector<std::string>& args) override {
        if (_help || args.empty()) {
            usage();
            return _help ? EXIT_OK : EXIT_USAGE;
        }
        const std::string& command = args[0];
        std::vector<std::string> rest(args.begin() + 1, args.end());
        try {
            if (command == "render") return cmdRender(rest);
            if (command == "validate") return cmdValidate(rest);
            if (command == "forms") return cmdForms();
            if (command == "serve") return cmdServe();
            if (command == "admin") return cmdAdmin(rest);
            if (command == "audit") return cmdAudit(rest);
        } catch (const Poco::Exception& e) {
            std::cerr << "erreur : " << e.displayText() << std::endl;
            return EXIT_SOFTWARE;
        } catch (const std::exception& e) {
            std::cerr << "erreur : " << e.what() << std::endl;
            return EXIT_SOFTWARE;
        }
        std::cerr << "erreur : commande inconnue « " << command << " »." << std::endl;
        usage();
        return EXIT_USAGE;
    }

private:
    bool _help = false;

    void usage() {
        Poco::Util::HelpFormatter help(options());
        help.setCommand("passerelle");
        help.setUsage("render FORMULAIRE ENTREE.json -o SORTIE.pdf | validate FORMULAIRE ENTREE.json | forms | serve [--port N]"
                      " | admin create-org|create-key|revoke-key|list-orgs|list-keys|create-partnership|set-partnership-siao|create-action|set-webhook …"
                      " | audit verify");
        help.setHeader("Passerelle : documents partagés association / bailleur / financeur.");
        help.format(std::cout);
    }

    std::string setting(const std::string& key, const std::string& fallback) {
        return config().getString("passerelle." + key, fallback);
    }

    // Data directories: option or configuration, else ./<name> when present, else the source tree.
    std::string dataDir(const std::string& name) {
        std::string v = setting(name, "");
        if (!v.empty()) return v;
        if (Poco::File(name).exists() && Poco::File(name).isDirectory()) return name;
        return std::string(PASSERELLE_DEFAULT_DATA_DIR) + "/" + name;
    }

    Result<service::Catalog> loadCatalog() {
        return service::Catalog::load(dataDir("forms"), dataDir("templates"), dataDir("fonts"));
    }

    static void printStatus(const Status& s) {
        std::cerr << "erreur : " << s.toString() << std::endl;
    }

    static Result<Poco::JSON::Object::Ptr> readJsonFile(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return Status::notFound("input_not_found", "Fichier d'entrée introuvable : " + path);
        std::stringstream buf;
        buf << in.rdbuf();
        return forms::parseJsonObject(buf.str());
    }

    int exitFor(const Status& s) {
        switch (s.code()) {
        case Status::Code::InvalidArgument: return EXIT_DATAERR;
        case Status::Code::NotFound: return EXIT_NOINPUT;
        default: return EXIT_SOFTWARE;
        }
    }

    int cmdValidate(const std::vector<std::string>& args) {
        if (args.size() != 2) { std::cerr << "usage : passerelle validate FORMULAIRE ENTREE.json" << std::endl; return EXIT_USAGE; }
        auto catalog = loadCatalog();
        if (!catalog.isOk()) { printStatus(catalog.status()); return EXIT_CONFIG; }
        service::RenderService svc(catalog.value());
        auto json = readJsonFile(args[1]);
        if (!json.isOk()) { printStatus(json.status()); return exitFor(json.status()); }
        auto filled = svc.validate(args[0], json.value());
        if (!filled.isOk()) { printStatus(filled.status()); return exitFor(filled.status()); }
        std::cout << "valide : " << args[1] << " respecte le formulaire « " << args[0] << " »." << std::endl;
        return EXIT_OK;
    }

    int cmdRender(const std::vector<std::string>& args) {
        if (args.size() != 2) { std::cerr << "usage : passerelle render FORMULAIRE ENTREE.json -o SORTIE.pdf" << std::endl; return EXIT_USAGE; }
        std::string output = setting("output", "");
        if (output.empty()) { std::cerr << "erreur : précisez le fichier de sortie avec -o SORTIE.pdf" << std::endl; return EXIT_USAGE; }
        std::string format = setting("format", "");
        if (format.empty()) {
            std::string ext = Poco::toLower(Poco::Path(output).getExtension());
            format = ext.empty() ? "pdf" : ext;
        }
        auto catalog = loadCatalog();
        if (!catalog.isOk()) { printStatus(catalog.status()); return EXIT_CONFIG; }
        service::RenderService svc(catalog.value());
        auto json = readJsonFile(args[1]);
        if (!json.isOk()) { printStatus(json.status()); return exitFor(json.status()); }
        service::RenderRequest req;
        req.form = args[0];
        req.variant = setting("variant", "");
        req.format = format;
        req.data = json.value();
        auto rendered = svc.render(req);
        if (!rendered.isOk()) { printStatus(rendered.status()); return exitFor(rendered.status()); }
        // Write beside the target, then rename: never a half-written output file.
        std::string tmp = output + ".part";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(rendered.value().bytes.data(), static_cast<std::streamsize>(rendered.value().bytes.size()));
            if (!out) { std::remove(tmp.c_str()); std::cerr << "erreur : écriture impossible : " << output << std::endl; return EXIT_CANTCREAT; }
        }
        if (std::rename(tmp.c_str(), output.c_str()) != 0) {
            std::remove(tmp.c_str());
            std::cerr << "erreur : écriture impossible : " << output << std::endl;
            return EXIT_CANTCREAT;
        }
        std::cout << output << " : " << rendered.value().bytes.size() << " octets";
        if (rendered.value().pages) std::cout << ", " << rendered.value().pages << " page(s)";
        std::cout << ", document " << rendered.value().documentId << std::endl;
        return EXIT_OK;
    }

    int cmdForms() {
        auto catalog = loadCatalog();
        if (!catalog.isOk()) { printStatus(catalog.status()); return EXIT_CONFIG; }
        for (const auto& def : catalog.value().forms->all()) {
            std::cout << def->id << " (v" << def->version << ") — " << def->title << " — variantes :";
            for (const auto& v : def->variants) std::cout << " " << v.name;
            std::cout << std::endl;
        }
        return EXIT_OK;
    }

    // The store: --db URL (or passerelle.db in the configuration), else SQLite in --data-dir (./var by default).
    Result<std::shared_ptr<storage::PocoStore>> openStore() {
        return app::openConfiguredStore(setting("data-dir", "var"), setting("db", ""));
    }

    int cmdAdmin(const std::vector<std::string>& args) {
        auto store = openStore();
        if (!store.isOk()) { printStatus(store.status()); return EXIT_CONFIG; }
        app::AdminOptions o{setting("kind", ""), setting("name", ""), setting("funders", ""), setting("siao", "")};
        return app::runAdmin(*store.value(), args, o, std::cout, std::cerr);
    }

    int cmdAudit(const std::vector<std::string>& args) {
        auto store = openStore();
        if (!store.isOk()) { printStatus(store.status()); return EXIT_CONFIG; }
        return app::runAudit(*store.value(), args, std::cout, std::cerr);
    }

    int cmdServe() {
        auto catalog = loadCatalog();
        if (!catalog.isOk()) { printStatus(catalog.status()); return EXIT_CONFIG; }
        auto renderer = std::make_shared<const service::RenderService>(catalog.value());
        auto router = std::make_shared<http::Router>();
        http::addRenderRoutes(*router, renderer);
        // Storage + authentication: every /v1 route (render-only ones included) needs a key.
        auto store = openStore();
        if (!store.isOk()) { printStatus(store.status()); return EXIT_CONFIG; }
        auto dossiers = std::make_shared<const service::DossierService>(store.value(), renderer);
        http::addApiRoutes(*router, dossiers);
        // Consent gate, transmission to landlords and their access (issue 6).
        auto transmissions = std::make_shared<const service::TransmissionService>(store.value(), renderer);
        http::addConsentRoutes(*router, transmissions);
        // Webhook push: the durable outbox, drained every 2 s by a background thread.
        service::DeliveryLoop deliveryLoop(store.value(), store.value(), std::make_shared<delivery::HttpSender>(10));
        std::cout << "Base de données : " << store.value()->describe() << " (schéma "
                  << store.value()->schemaVersion().value() << ")" << std::endl;
        auto orgs = store.value()->listOrganisations();
        if (orgs.isOk() && orgs.value().empty()) std::cout << app::firstStartHelp() << std::endl;
        http::ServerConfig sc;
        sc.host = setting("host", "127.0.0.1");
        sc.port = static_cast<unsigned short>(std::stoi(setting("port", "8080")));
        sc.maxBodyBytes = static_cast<std::size_t>(std::stoull(setting("max-body", std::to_string(sc.maxBodyBytes))));
        http::Server server(sc, router);
        server.start();
        deliveryLoop.start();
        std::cout << "Passerelle écoute sur http://" << sc.host << ":" << server.port() << " (formulaires : "
                  << catalog.value().forms->all().size() << ")" << std::endl;
        waitForTerminationRequest();
        std::cout << "Arrêt de Passerelle." << std::endl;
        server.stop();
        deliveryLoop.stop();
        return EXIT_OK;
    }
};

} // namespace passerelle

POCO_SERVER_MAIN(passerelle::PasserelleApp)
