// passerelle: one executable, a Poco::Util::ServerApplication.
//   passerelle render FORM INPUT.json -o OUT.pdf [--format pdf|xlsx] [--variant NAME]
//   passerelle validate FORM INPUT.json
//   passerelle forms
//   passerelle serve [--port N] [--host H] [--data-dir DIR | --db URL]
//   passerelle admin create-org|create-key|revoke-key|list-orgs|list-keys|create-partnership|set-partnership-siao|create-action|set-webhook …
//   passerelle admin send-test-mail ADDRESS (checks the SMTP relay settings)
//   passerelle audit verify [--data-dir DIR | --db URL]
//   passerelle config check [OPTIONS]
// Reads configuration once (command line, then the environment, then the --config or
// PASSERELLE_CONFIG file, then defaults: app/Settings.h) and wires everything; the
// commands themselves are thin adapters over services.
#include <malloc.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>
#include <fstream>
#include <iostream>
#include <sstream>

#include <Poco/AsyncChannel.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/File.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/PatternFormatter.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Path.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/IntValidator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include "app/AdminCommand.h"
#include "app/AuditSetup.h"
#include "app/RgpdCommands.h"
#include "app/Settings.h"
#include "common/Metrics.h"
#include "http/Observability.h"
#include "app/UserCommand.h"
#include "common/Locale.h"
#include "forms/FormRegistry.h"
#include "http/ApiRoutes.h"
#include "http/ConsentRoutes.h"
#include "http/HttpServer.h"
#include "http/SigningRoutes.h"
#include "service/SigningService.h"
#include "sign/ParisTime.h"
#include "sign/SignedDocument.h"
#include "service/DossierService.h"
#include "service/RenderService.h"
#include "service/TransmissionService.h"
#include "web/WebApp.h"
#include "delivery/WebhookTarget.h"
#include "service/WebhookSigning.h"
#include "web/AdminPages.h"
#include "web/FunderPages.h"
#include "web/form/FormRoutes.h"
#include "web/WebRoutes.h"
#include "delivery/Mailer.h"
#include "delivery/Mime.h"
#include "service/MailNotifier.h"
#include "storage/MailStore.h"
#include "web/PreferencesRoutes.h"
#include "web/sign/SigningPages.h"

#ifndef PASSERELLE_DEFAULT_DATA_DIR
#define PASSERELLE_DEFAULT_DATA_DIR "."
#endif

using Poco::Util::Application;
using Poco::Util::Option;
using Poco::Util::OptionSet;

namespace passerelle {

// Writes a checkpoint of the audit chain's head every `seconds` (when it moved) and once more at destruction.
class AuditCheckpointer {
public:
    AuditCheckpointer(std::shared_ptr<storage::Store> store, app::AuditSettings settings, const std::string& seconds)
        : _store(std::move(store)), _settings(std::move(settings)) {
        auto keys = app::loadAuditKeys(_settings, /*createIfMissing=*/false);
        if (!keys.isOk()) {
            std::cerr << "audit : " << keys.status().toString() << std::endl;
            return;
        }
        _keys = keys.value();
        long s = std::max(1L, std::atol(seconds.c_str()));
        _thread = std::thread([this, s] {
            std::unique_lock<std::mutex> lock(_mutex);
            while (!_stop) {
                _cv.wait_for(lock, std::chrono::seconds(s), [this] { return _stop; });
                write();
            }
        });
    }
    ~AuditCheckpointer() {
        if (!_thread.joinable()) return;
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _stop = true;
        }
        _cv.notify_all();
        _thread.join();
    }

private:
    void write() {
        Status st = app::writeCheckpoint(*_store, *_keys, _settings);
        if (!st.isOk()) std::cerr << "audit : " << st.toString() << std::endl;
    }
    std::shared_ptr<storage::Store> _store;
    app::AuditSettings _settings;
    std::shared_ptr<const audit::AuditKeyring> _keys;
    std::mutex _mutex;
    std::condition_variable _cv;
    bool _stop = false;
    std::thread _thread;
};

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
        // Every option comes from the settings table (app/Settings.cpp): help, environment and config check share it.
        for (const auto& st : app::settings()) {
            if (st.option.empty()) continue;
            opt(st.option.c_str(), st.shortOption.c_str(), st.help.c_str(), st.argument.empty() ? nullptr : st.argument.c_str());
        }
    }

    void handleOption(const std::string& name, const std::string& value) {
        if (name == "help") { _help = true; stopOptionsProcessing(); return; }
        if (name == "config") { loadFile(value); config().setString("passerelle.config", value); _fromCommandLine.insert("config"); return; }
        if (name == "password-stdin" || name == "keep-password" || name == "list-routes" || name == "dry-run" || name == "apply") {
            config().setBool("passerelle." + name, true);
            return;
        }
        // Options land in the application layer (priority -100), above the environment (-50) and the files (0).
        const app::Setting* st = nullptr;
        for (const auto& s : app::settings())
            if (s.option == name) st = &s;
        const std::string key = st ? st->key : name;
        config().setString("passerelle." + key, value);
        _fromCommandLine.insert(key);
    }

    // A configuration file (.properties; other extensions as Poco reads them), below the environment.
    void loadFile(const std::string& path) {
        _configFiles.push_back(path);
        if (Poco::endsWith(path, std::string(".properties"))) {
            Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> f(new Poco::Util::PropertyFileConfiguration(path));
            _fileLayers.push_back(f);
            config().add(f, Poco::Util::Application::PRIO_DEFAULT, false);
        } else {
            loadConfiguration(path);
        }
    }

public:
    PasserelleApp() {
        // Precedence (docs/operations.md): command line (-100) > environment (-50) > properties file (0) > defaults.
        _environment = app::environmentLayer();
        config().add(_environment, -50, false);
    }

protected:

    void initialize(Application& self) override {
        // PASSERELLE_CONFIG names the file when --config does not.
        if (!_fromCommandLine.count("config") && _environment->hasProperty("passerelle.config"))
            loadFile(_environment->getString("passerelle.config"));
        ServerApplication::initialize(self);
        // Numbers in XLSX and PDF are written with a decimal point whatever the environment (common/Locale.h).
        enforceCNumericLocale();
        // Keep freed memory of ordinary documents in the process (returning it to the kernel makes page faults
        // costly: zlib's state, libharu's streams), but give blocks of 256 KiB and more (large bodies and
        // outputs) their own mappings, returned at free (bench/malloc_trim.sh, docs/operations.md).
        // PASSERELLE_MALLOC_DEFAULTS=1 keeps glibc's defaults (or GLIBC_TUNABLES): for bench/ comparisons.
        const char* defaults = std::getenv("PASSERELLE_MALLOC_DEFAULTS");
        if (!defaults || std::string(defaults) != "1") {
            mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
            mallopt(M_MMAP_THRESHOLD, 256 * 1024);
        }
    }

    int main(const std::vector<std::string>& args) override {
        if (_help || args.empty()) {
            usage(_help ? std::cout : std::cerr);
            return _help ? EXIT_OK : EXIT_USAGE;
        }
        const std::string& command = args[0];
        std::vector<std::string> rest(args.begin() + 1, args.end());
        try {
            // Issue 11 item 8: where a push may go (checked when a webhook is set and at each delivery).
            delivery::WebhookTargetPolicy webhooks;
            webhooks.allowHosts = delivery::WebhookTargetPolicy::parseHosts(setting("webhook.allow-hosts", ""));
            webhooks.caFile = setting("webhook.ca-file", "");
            delivery::setWebhookTargetPolicy(webhooks);
            if (command == "render") return cmdRender(rest);
            if (command == "validate") return cmdValidate(rest);
            if (command == "forms") return cmdForms();
            if (command == "serve") return cmdServe();
            if (command == "admin") return cmdAdmin(rest);
            if (command == "audit") return cmdAudit(rest);
            if (command == "retention") return cmdRetention(rest);
            if (command == "export-household") return cmdExportHousehold(rest);
            if (command == "verify") return cmdVerify(rest);
            if (command == "config") return cmdConfig(rest);
        } catch (const Poco::Exception& e) {
            std::cerr << "erreur : " << e.displayText() << std::endl;
            return EXIT_SOFTWARE;
        } catch (const std::exception& e) {
            std::cerr << "erreur : " << e.what() << std::endl;
            return EXIT_SOFTWARE;
        }
        std::cerr << "erreur : commande inconnue « " << command << " » (passerelle --help pour la liste)." << std::endl;
        return EXIT_USAGE;
    }

private:
    bool _help = false;
    Poco::AutoPtr<Poco::Util::MapConfiguration> _environment;
    std::vector<Poco::AutoPtr<Poco::Util::PropertyFileConfiguration>> _fileLayers;
    std::vector<std::string> _configFiles;
    std::set<std::string> _fromCommandLine;

    void usage(std::ostream& out) { app::printHelp(out); }

    // Where a setting's effective value comes from (config check).
    app::Source sourceOf(const std::string& key) {
        const std::string prop = "passerelle." + key;
        if (_fromCommandLine.count(key)) return app::Source::CommandLine;
        if (_environment->hasProperty(prop)) return app::Source::Environment;
        if (config().hasProperty(prop)) return app::Source::File;
        return app::Source::Default;
    }

    // passerelle config check: the effective configuration without secrets, then the checks.
    int cmdConfig(const std::vector<std::string>& args) {
        if (args.size() != 1 || args[0] != "check") {
            std::cerr << "usage : passerelle config check [--config FICHIER] [OPTIONS]" << std::endl;
            return EXIT_USAGE;
        }
        std::map<std::string, app::Source> sources;
        for (const auto& s : app::settings()) sources[s.key] = sourceOf(s.key);
        std::cout << "# Configuration effective (ligne de commande > environnement > fichier > défaut)" << std::endl;
        for (const auto& f : _configFiles) std::cout << "# Fichier : " << f << std::endl;
        auto problems = app::printEffectiveConfiguration(std::cout, config(), sources);
        auto catalog = loadCatalog();
        if (!catalog.isOk()) problems.push_back(catalog.status().toString());
        else std::cout << "# Formulaires : " << catalog.value().forms->all().size() << " chargés depuis " << dataDir("forms") << std::endl;
        auto api = loadApiDescription();
        if (!api.isOk()) problems.push_back(api.status().toString());
        try {
            (void)serverConfig();
        } catch (const std::exception& e) {
            problems.push_back(e.what());
        }
        if (problems.empty()) {
            std::cout << "Configuration valide." << std::endl;
            return EXIT_OK;
        }
        for (const auto& p : problems) std::cerr << "erreur : " << p << std::endl;
        return EXIT_CONFIG;
    }

    // docs/openapi.json: the configured file, else ./docs/openapi.json, the source tree's, or the installed one.
    Result<std::shared_ptr<const http::ApiDescription>> loadApiDescription() {
        std::string file = setting("openapi", "");
        if (file.empty()) {
            for (const std::string& c : {std::string("docs/openapi.json"), std::string(PASSERELLE_DEFAULT_DATA_DIR) + "/docs/openapi.json",
                                         installedDir() + "/openapi.json"})
                if (Poco::File(c).exists()) { file = c; break; }
        }
        if (file.empty()) return Status::notFound("openapi_not_found", "Description de l’API introuvable (réglage passerelle.openapi).");
        return http::ApiDescription::load(file);
    }

    // <prefix>/share/passerelle beside an installed binary (cmake --install).
    std::string installedDir() {
        Poco::Path exe(config().getString("application.path", ""));
        return exe.parent().parent().toString() + "share/passerelle";
    }

    std::string setting(const std::string& key, const std::string& fallback) {
        return config().getString("passerelle." + key, fallback);
    }

    // Data directories: option or configuration, else ./<name> when present, else the source tree.
    std::string dataDir(const std::string& name) {
        std::string v = setting(name, "");
        if (!v.empty()) return v;
        if (Poco::File(name).exists() && Poco::File(name).isDirectory()) return name;
        const std::string source = std::string(PASSERELLE_DEFAULT_DATA_DIR) + "/" + name;
        if (Poco::File(source).exists()) return source;
        const std::string installed = installedDir() + "/" + name;
        if (Poco::File(installed).exists()) return installed;
        return source;
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
        // A format the form does not have is a usage error, not an unknown form (docs/operations.md).
        if (s.errorCode() == "format_unsupported") return EXIT_USAGE;
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
    Result<std::shared_ptr<storage::PocoStore>> openStore(int maxSessions = 0) {
        auto keys = app::loadAuditKeys(auditSettings(), /*createIfMissing=*/true);
        if (!keys.isOk()) return keys.status();
        return app::openConfiguredStore(setting("data-dir", "var"), setting("db", ""), maxSessions, keys.value());
    }

    // The store of retention and export-household: never created by them (a missing database is an error).
    Result<std::shared_ptr<storage::PocoStore>> openExistingStore() {
        auto keys = app::loadAuditKeys(auditSettings(), /*createIfMissing=*/false);
        if (!keys.isOk() && keys.status().code() == Status::Code::NotFound) {
            // No key yet: create it (as serve and admin do) only for a database that exists.
            auto probe = app::openConfiguredStore(setting("data-dir", "var"), setting("db", ""), 0, nullptr, /*mustExist=*/true);
            if (!probe.isOk()) return probe.status();
            keys = app::loadAuditKeys(auditSettings(), /*createIfMissing=*/true);
        }
        if (!keys.isOk()) return keys.status();
        return app::openConfiguredStore(setting("data-dir", "var"), setting("db", ""), 0, keys.value(), /*mustExist=*/true);
    }

    int intSetting(const std::string& key, int fallback) {
        std::string v = setting(key, "");
        if (v.empty()) return fallback;
        try {
            std::size_t used = 0;
            long n = std::stol(v, &used);
            if (used == v.size() && n >= 0 && n <= 100000000) return static_cast<int>(n);
        } catch (...) {
        }
        throw std::invalid_argument("valeur invalide pour « " + key + " » : « " + v + " » (nombre entier positif attendu)");
    }

    // The HTTP front's sizing and limits: options, then passerelle.* properties, then derived defaults.
    http::ServerConfig serverConfig() {
        http::ServerConfig sc;
        sc.host = setting("host", "127.0.0.1");
        sc.port = static_cast<unsigned short>(intSetting("port", 8080));
        sc.maxBodyBytes = static_cast<std::size_t>(std::stoull(setting("max-body", std::to_string(sc.maxBodyBytes))));
        sc.workers = intSetting("workers", 0);
        sc.queueLength = intSetting("queue-length", 0);
        sc.maxConnections = intSetting("max-connections", 0);
        sc.maxConnectionsPerClient = intSetting("max-connections-per-client", sc.maxConnectionsPerClient);
        sc.requestTimeoutMs = intSetting("request-timeout", sc.requestTimeoutMs);
        sc.keepAliveSeconds = intSetting("keep-alive-seconds", sc.keepAliveSeconds);
        sc.timeoutSeconds = intSetting("head-timeout-seconds", sc.timeoutSeconds);
        sc.bodyTimeoutSeconds = intSetting("body-timeout-seconds", sc.bodyTimeoutSeconds);
        sc.writeTimeoutSeconds = intSetting("write-timeout-seconds", sc.writeTimeoutSeconds);
        sc.drainSeconds = intSetting("drain-seconds", sc.drainSeconds);
        sc.trimAfterRequestBytes =
            static_cast<std::size_t>(intSetting("trim-after-request-kb", static_cast<int>(sc.trimAfterRequestBytes >> 10))) << 10;
        sc.maxPendingResponseBytes =
            static_cast<std::size_t>(intSetting("max-pending-response-mb", static_cast<int>(sc.maxPendingResponseBytes >> 20))) << 20;
        return sc.resolved();
    }

    app::AuditSettings auditSettings() {
        return app::auditSettings(setting("data-dir", "var"), setting("audit.key-file", setting("audit-key-file", "")),
                                  setting("audit.checkpoints", setting("audit-checkpoints", "")),
                                  config().getBool("passerelle.audit.syslog", false));
    }

    // `admin send-test-mail ADDRESS`: one message straight to the relay (not through the outbox), to check the
    // SMTP settings. Names nobody and nothing; prints the relay's answer without the password.
    int cmdSendTestMail(const std::vector<std::string>& args) {
        if (args.size() != 2) { std::cerr << "usage : passerelle admin send-test-mail ADRESSE [--config FICHIER]" << std::endl; return EXIT_USAGE; }
        const delivery::SmtpConfig smtp = smtpConfig();
        if (!smtp.enabled()) {
            std::cerr << "erreur : aucun relais SMTP configuré (passerelle.smtp.host ou --smtp-host)." << std::endl;
            return EXIT_CONFIG;
        }
        if (!delivery::isPlausibleAddress(args[1])) {
            std::cerr << "erreur : adresse électronique invalide : « " << args[1] << " »." << std::endl;
            return EXIT_DATAERR;
        }
        delivery::MailContent c;
        c.from = smtp.from;
        c.to = args[1];
        c.subject = "Passerelle : message d’essai";
        c.body = "Bonjour,\n\nCe message d’essai confirme que Passerelle peut envoyer ses notifications par ce relais.\n\n-- \n"
                 "Passerelle — message automatique, merci de ne pas y répondre.\n";
        const std::string id = storage::newId("mail_");
        c.messageId = id + "@" + delivery::domainOf(delivery::addressOf(smtp.from));
        c.dateEpochSeconds = Poco::Timestamp().epochTime();
        c.extraHeaders["X-Passerelle-Kind"] = "test";
        delivery::OutboxMessage m;
        m.id = id;
        m.url = "mailto:" + args[1];
        m.body = delivery::composeMessage(c);
        auto r = delivery::SmtpSender(smtp).send(m);
        if (!r.delivered) {
            std::cerr << "erreur : message non accepté par " << smtp.host << ":" << smtp.port << " : " << r.error << std::endl;
            return EXIT_TEMPFAIL;
        }
        std::cout << "Message d’essai accepté par le relais " << smtp.host << ":" << smtp.port << " pour " << args[1] << "."
                  << std::endl;
        return EXIT_OK;
    }

    int cmdAdmin(const std::vector<std::string>& args) {
        if (!args.empty() && args[0] == "send-test-mail") return cmdSendTestMail(args);
        auto store = openStore();
        if (!store.isOk()) { printStatus(store.status()); return EXIT_CONFIG; }
        if (!args.empty() && args[0] == "create-user") {
            app::UserOptions u{setting("name", ""), setting("role", ""), config().getBool("passerelle.password-stdin", false),
                               config().getBool("passerelle.keep-password", false)};
            return app::runUserAdmin(*store.value(), args, u, std::cin, std::cout, std::cerr);
        }
        app::AdminOptions o{setting("kind", ""), setting("name", ""), setting("funders", ""), setting("siao", "")};
        return app::runAdmin(*store.value(), args, o, std::cout, std::cerr);
    }

    int cmdAudit(const std::vector<std::string>& args) {
        // Never creates a database nor a key: an empty journal is not an intact one.
        auto keys = app::loadAuditKeys(auditSettings(), /*createIfMissing=*/false);
        auto store = app::openConfiguredStore(setting("data-dir", "var"), setting("db", ""), 0,
                                              keys.isOk() ? keys.value() : nullptr, /*mustExist=*/true);
        if (!store.isOk()) {
            printStatus(store.status());
            return store.status().code() == Status::Code::NotFound ? EXIT_NOINPUT : EXIT_CONFIG;
        }
        return app::runAudit(*store.value(), args, auditSettings(), std::cout, std::cerr);
    }

    // Retention of closed dossiers (docs/rgpd.md): --dry-run reports, --apply archives and erases.
    int cmdRetention(const std::vector<std::string>& args) {
        app::RetentionOptions o;
        o.dryRun = config().getBool("passerelle.dry-run", false);
        o.apply = config().getBool("passerelle.apply", false);
        o.today = setting("today", "");
        o.policy.archiveAfterMonths = intSetting("retention.archive-after-months", o.policy.archiveAfterMonths);
        o.policy.eraseAfterMonths = intSetting("retention.erase-after-months", o.policy.eraseAfterMonths);
        if (!args.empty() || o.dryRun == o.apply) return app::runRetention(nullptr, {}, o, std::cout, std::cerr);
        auto store = openExistingStore();
        if (!store.isOk()) { printStatus(store.status()); return store.status().code() == Status::Code::NotFound ? EXIT_NOINPUT : EXIT_CONFIG; }
        return app::runRetention(store.value(), args, o, std::cout, std::cerr);
    }

    // The household's right of access (docs/rgpd.md): the ZIP of one dossier, audited.
    int cmdExportHousehold(const std::vector<std::string>& args) {
        const std::string out = setting("out", "");
        if (args.size() != 1 || out.empty()) {
            std::cerr << "usage : passerelle export-household DOSSIER --out FICHIER.zip [--data-dir DIR | --db URL]" << std::endl;
            return EXIT_USAGE;
        }
        auto store = openExistingStore();
        if (!store.isOk()) { printStatus(store.status()); return store.status().code() == Status::Code::NotFound ? EXIT_NOINPUT : EXIT_CONFIG; }
        auto catalog = loadCatalog();
        if (!catalog.isOk()) { printStatus(catalog.status()); return EXIT_CONFIG; }
        return app::runExportHousehold(store.value(), catalog.value(), args[0], out, std::cout, std::cerr);
    }

    // The seal: passerelle.seal.pkcs12 (+ .password) or .key/.cert (PEM); else the
    // development certificate under DATA_DIR/seal (generated at first start).
    Result<std::shared_ptr<const sign::SealKey>> loadSealKey() {
        sign::SealConfig sc;
        sc.pkcs12Path = setting("seal.pkcs12", "");
        sc.pkcs12Password = setting("seal.password", "");
        sc.keyPath = setting("seal.key", "");
        sc.certPath = setting("seal.cert", "");
        sc.developmentDir = setting("data-dir", "var") + "/seal";
        Poco::File(setting("data-dir", "var")).createDirectories();
        return sign::SealKey::load(sc);
    }

    // E-mail (issue 12): passerelle.smtp.* properties, --smtp-host / --smtp-port first. Off without a host.
    delivery::SmtpConfig smtpConfig() {
        delivery::SmtpConfig c;
        c.host = setting("smtp-host", setting("smtp.host", ""));
        c.port = intSetting("smtp-port", intSetting("smtp.port", 25));
        c.user = setting("smtp.user", "");
        c.password = setting("smtp.password", "");
        c.from = setting("smtp.from", c.from);
        c.starttls = setting("smtp.starttls", "auto");
        if (c.starttls == "true" || c.starttls == "yes") c.starttls = "required";
        if (c.starttls == "false" || c.starttls == "no") c.starttls = "off";
        if (c.starttls != "auto" && c.starttls != "required" && c.starttls != "off")
            throw std::invalid_argument("valeur invalide pour « smtp.starttls » : « " + c.starttls +
                                        " » (auto, required ou off attendu)");
        c.caFile = setting("smtp.ca-file", "");
        c.verifyCertificate = config().getBool("passerelle.smtp.verify-certificate", true);
        c.timeoutSeconds = intSetting("smtp.timeout-seconds", c.timeoutSeconds);
        return c;
    }

    service::MailSettings mailSettings(const http::ServerConfig& sc, const delivery::SmtpConfig& smtp) {
        service::MailSettings m;
        m.publicUrl = setting("public-url", "http://" + sc.host + ":" + std::to_string(sc.port));
        m.from = smtp.from;
        m.consentReminderDays = intSetting("notifications.consent-reminder-days", m.consentReminderDays);
        m.deliveryIntervalMs = std::max(100, intSetting("notifications.interval-ms", m.deliveryIntervalMs));
        m.reminderIntervalSeconds = std::max(1, intSetting("notifications.reminder-interval-seconds", m.reminderIntervalSeconds));
        m.retry.baseMs = std::max(1, intSetting("notifications.retry-base-ms", static_cast<int>(m.retry.baseMs)));
        m.retry.maxAttempts = std::max(1, intSetting("notifications.max-attempts", m.retry.maxAttempts));
        return m;
    }

    int cmdVerify(const std::vector<std::string>& args) {
        if (args.size() != 1) { std::cerr << "usage : passerelle verify FICHIER.pdf" << std::endl; return EXIT_USAGE; }
        std::ifstream in(args[0], std::ios::binary);
        if (!in) { std::cerr << "erreur : fichier introuvable : " << args[0] << std::endl; return EXIT_NOINPUT; }
        std::stringstream buf;
        buf << in.rdbuf();
        // Verification never creates a key: without a configured seal, the development
        // certificate is compared only when this data directory already has one.
        const bool configured = !setting("seal.pkcs12", "").empty() || !setting("seal.key", "").empty();
        const bool devExists = Poco::File(setting("data-dir", "var") + "/seal/passerelle-dev-seal.pem").exists();
        Result<std::shared_ptr<const sign::SealKey>> key = Status::notFound("no_seal", "");
        if (configured || devExists) key = loadSealKey();
        sign::VerifyReport r = sign::verifyPdf(buf.str(), key.isOk() ? key.value().get() : nullptr);
        std::cout << args[0] << " : ";
        if (!r.passerelle || !r.intact()) {
            std::cout << (r.problem.empty() ? "non scellé par Passerelle." : r.problem) << std::endl;
            return 1;
        }
        std::cout << "scellé par Passerelle, intact." << std::endl;
        auto m = forms::parseJsonObject(r.manifestJson);
        if (m.isOk()) {
            auto o = m.value();
            std::cout << "Document : " << o->optValue<std::string>("document", "?") << " (" << o->optValue<std::string>("form", "?")
                      << "), révision " << o->optValue<int>("revision", 0) << std::endl;
            std::cout << "Empreinte de la révision signée : " << o->optValue<std::string>("revisionSha256", "?") << std::endl;
            auto paris = [](const std::string& utc) {
                return sign::parisTime(sign::parseUtcIso(utc)).french + " (heure de Paris)";
            };
            std::cout << "Scellé le : " << paris(o->optValue<std::string>("sealedAt", "")) << std::endl;
            if (auto arr = o->getArray("signatories"))
                for (unsigned i = 0; i < arr->size(); ++i) {
                    auto s = arr->getObject(i);
                    std::cout << "  - " << s->optValue<std::string>("name", "?") << " (" << s->optValue<std::string>("capacity", "")
                              << ") : signé le " << paris(s->optValue<std::string>("signedAt", "")) << ", "
                              << sign::methodLabel(s->optValue<std::string>("method", ""), s->optValue<std::string>("witness", ""))
                              << std::endl;
                }
        }
        std::cout << "Cachet : " << r.signerSubject
                  << (r.trustedSigner ? " (certificat de cette instance)" : " (certificat inconnu de cette instance)") << std::endl;
        return EXIT_OK;
    }

    // The access log (one JSON line per request): DATA_DIR/access.log by default, "-" for the standard
    // output, "off" for none. A rotating file (10 MB, 10 archives).
    Poco::Logger* openAccessLog() {
        const std::string where = setting("access-log", setting("data-dir", "var") + "/access.log");
        if (where == "off") return nullptr;
        Poco::Logger& logger = Poco::Logger::get("passerelle.access");
        logger.setLevel(Poco::Message::PRIO_INFORMATION);
        Poco::AutoPtr<Poco::PatternFormatter> pattern(new Poco::PatternFormatter("%t"));
        Poco::AutoPtr<Poco::Channel> sink;
        if (where == "-") {
            sink = new Poco::ConsoleChannel(std::cout);
        } else {
            Poco::File(Poco::Path(where).parent()).createDirectories();
            Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(where));
            file->setProperty("rotation", "10 M");
            file->setProperty("archive", "timestamp");
            file->setProperty("purgeCount", "10");
            file->setProperty("flush", "false");
            sink = file;
        }
        Poco::AutoPtr<Poco::AsyncChannel> async(new Poco::AsyncChannel(new Poco::FormattingChannel(pattern, sink)));
        logger.setChannel(async);
        return &logger;
    }

    // Gauges read from the store at scrape time: pool use, outbox depth, web sessions.
    static void registerStoreGauges(std::shared_ptr<storage::PocoStore> store) {
        using Samples = std::vector<std::pair<metrics::Labels, double>>;
        auto& reg = metrics::Registry::global();
        reg.gauge("passerelle_db_pool_sessions", "Sessions du pool de base de données par état (capacity, allocated, used, idle).",
                  [store] {
                      auto u = store->poolUse();
                      return Samples{{{{"state", "capacity"}}, double(u.capacity)},
                                     {{{"state", "allocated"}}, double(u.allocated)},
                                     {{{"state", "used"}}, double(u.used)},
                                     {{{"state", "idle"}}, double(u.idle)}};
                  });
        reg.gauge("passerelle_outbox_messages", "Messages webhook de la boîte d’envoi par état (pending, due, dead).", [store] {
            auto c = store->operationalCounts(static_cast<std::int64_t>(Poco::Timestamp().epochMicroseconds() / 1000));
            if (!c.isOk()) return Samples{};
            return Samples{{{{"state", "pending"}}, double(c.value().outboxPending)},
                           {{{"state", "due"}}, double(c.value().outboxDue)},
                           {{{"state", "dead"}}, double(c.value().outboxDead)}};
        });
        reg.gauge("passerelle_web_sessions", "Sessions web non expirées.", [store] {
            auto c = store->operationalCounts(static_cast<std::int64_t>(Poco::Timestamp().epochMicroseconds() / 1000));
            if (!c.isOk()) return Samples{};
            return Samples{{{}, double(c.value().webSessions)}};
        });
    }

    int cmdServe() {
        auto catalog = loadCatalog();
        if (!catalog.isOk()) { printStatus(catalog.status()); return EXIT_CONFIG; }
        auto renderer = std::make_shared<const service::RenderService>(catalog.value());
        auto router = std::make_shared<http::Router>();
        http::addRenderRoutes(*router, renderer);
        // Storage + authentication: every /v1 route (render-only ones included) needs a key.
        // Each request holds at most one database session at a time, and only the workers and the
        // delivery loop use the store: a pool of workers + 4 is never exhausted (docs/operations.md).
        http::ServerConfig sc = serverConfig();
        auto store = openStore(intSetting("db-pool", sc.workers + 4));
        if (!store.isOk()) { printStatus(store.status()); return EXIT_CONFIG; }
        auto dossiers = std::make_shared<const service::DossierService>(store.value(), renderer);
        http::addApiRoutes(*router, dossiers);
        // E-mail notifications (issue 12): through the durable mail outbox; off (NoNotifier) without a relay.
        const delivery::SmtpConfig smtp = smtpConfig();
        const service::MailSettings mailSettingsValue = mailSettings(sc, smtp);
        auto mailStore = std::make_shared<storage::MailStore>(store.value());
        std::unique_ptr<service::MailNotifier> mailNotifier;
        std::unique_ptr<service::MailLoop> mailLoop;
        service::Notifier* notifier = &service::noNotifier();
        if (smtp.enabled()) {
            auto formTitle = [renderer](const std::string& id) {
                auto def = renderer->catalog().forms->find(id);
                return def ? def->title : std::string();
            };
            mailNotifier = std::make_unique<service::MailNotifier>(mailStore, formTitle, mailSettingsValue);
            notifier = mailNotifier.get();
            mailLoop = std::make_unique<service::MailLoop>(mailStore, std::make_shared<delivery::SmtpSender>(smtp), *notifier,
                                                           mailSettingsValue);
            std::cout << "Courriel : relais " << smtp.host << ":" << smtp.port << " (STARTTLS : " << smtp.starttls
                      << (smtp.user.empty() ? "" : ", identifiant : " + smtp.user) << "), liens vers "
                      << mailSettingsValue.publicUrl << std::endl;
        } else {
            std::cout << "Courriel : désactivé (passerelle.smtp.host non configuré)" << std::endl;
        }
        // Consent gate, transmission to landlords and their access (issue 6).
        auto transmissions = std::make_shared<const service::TransmissionService>(store.value(), renderer, service::Clock{},
                                                                                  *notifier);
        http::addConsentRoutes(*router, transmissions);
        auto sealKey = loadSealKey();
        if (!sealKey.isOk()) { printStatus(sealKey.status()); return EXIT_CONFIG; }
        std::cout << "Cachet de scellement : " << sealKey.value()->subject()
                  << (sealKey.value()->isDevelopment() ? " — certificat de DÉVELOPPEMENT auto-signé, à remplacer en production"
                                                         : "")
                  << std::endl;
        // Signing links go out through the notifier (e-mail when an SMTP relay is configured).
        service::SigningOptions signingOptions;
        signingOptions.linkLifetimeMinutes = intSetting("signing.linkMinutes", signingOptions.linkLifetimeMinutes);
        auto signing = std::make_shared<const service::SigningService>(dossiers, sealKey.value(), signingOptions, *notifier);
        http::addSigningRoutes(*router, signing);
        // Web pages (issue 9): sessions, sign-in, dossiers; then the form pages; then the French 404.
        service::AccountSettings accountSettings;
        accountSettings.idleMinutes = config().getInt("passerelle.web.idleMinutes", accountSettings.idleMinutes);
        accountSettings.absoluteHours = config().getInt("passerelle.web.absoluteHours", accountSettings.absoluteHours);
        accountSettings.delayAfterFailures = config().getInt("passerelle.web.delayAfterFailures", accountSettings.delayAfterFailures);
        accountSettings.maxDelaySeconds = config().getInt("passerelle.web.maxDelaySeconds", accountSettings.maxDelaySeconds);
        accountSettings.lockAfterFailures = config().getInt("passerelle.web.lockAfterFailures", accountSettings.lockAfterFailures);
        accountSettings.lockMinutes = config().getInt("passerelle.web.lockMinutes", accountSettings.lockMinutes);
        accountSettings.addressDelayAfterFailures =
            config().getInt("passerelle.web.addressDelayAfterFailures", accountSettings.addressDelayAfterFailures);
        accountSettings.addressLockAfterFailures =
            config().getInt("passerelle.web.addressLockAfterFailures", accountSettings.addressLockAfterFailures);
        auto accounts = std::make_shared<const service::AccountService>(store.value(), accountSettings);
        const std::string webDir = dataDir("web");
        auto views = web::Views::load(webDir + "/views");
        if (!views.isOk()) { printStatus(views.status()); return EXIT_CONFIG; }
        web::WebSettings webSettings;
        webSettings.secureCookies = config().getBool("passerelle.web.secureCookies", false);
        webSettings.trustProxy = config().getBool("passerelle.web.trustProxy", false);
        webSettings.staticDir = webDir + "/static";
        auto webApp = std::make_shared<web::WebApp>(views.value(), accounts, webSettings);
        web::WebServices webServices{dossiers, transmissions};
        webServices.retention.archiveAfterMonths = intSetting("retention.archive-after-months", webServices.retention.archiveAfterMonths);
        webServices.retention.eraseAfterMonths = intSetting("retention.erase-after-months", webServices.retention.eraseAfterMonths);
        web::addWebRoutes(*router, *webApp, webServices);
        // Form pages, drafts, preview, finalise, revisions (web-forms).
        auto drafts = std::make_shared<const service::DraftService>(
            std::make_shared<storage::PocoDraftStore>(store.value()), dossiers);
        web::addFormRoutes(*router, *webApp, web::FormServices{dossiers, drafts});
        // Organisation admin pages (keys, partnerships, webhook) and the actions' funders' documents (issue 12).
        // Pushes are signed with the landlord's secret when it made one (X-Passerelle-Signature, migration 13).
        // Encrypted at rest (issue 12): the key from passerelle.secrets.key / .keyFile, else DATA_DIR/secrets.key
        // (created 0600 at first start); secrets still in clear are encrypted now; a wrong key stops here.
        auto secretsCipher = storage::SecretCipher::load(setting("secrets.key", ""), setting("secrets.keyFile", ""),
                                                         Poco::Path(setting("data-dir", "var")).append("secrets.key").toString());
        if (!secretsCipher.isOk()) { printStatus(secretsCipher.status()); return EXIT_CONFIG; }
        auto webhookSecrets = std::make_shared<storage::PocoWebhookSecretStore>(store.value(), secretsCipher.value());
        if (auto prepared = webhookSecrets->prepare(); !prepared.isOk()) {
            printStatus(prepared.status());
            return EXIT_CONFIG;
        } else if (prepared.value() > 0) {
            std::cout << "Secrets de webhook chiffrés au repos : " << prepared.value() << std::endl;
        }
        auto webhookSender = std::make_shared<service::SignedWebhookSender>(webhookSecrets, 10);
        auto organisations = std::make_shared<const service::OrganisationService>(store.value(), transmissions, webhookSecrets,
                                                                                  webhookSender);
        web::addAdminPages(*router, *webApp, web::AdminServices{organisations});
        web::addFunderPages(*router, *webApp, web::FunderServices{dossiers, drafts, organisations});
        web::addPreferencesRoutes(*router, *webApp, std::make_shared<const service::NotificationPreferences>(mailStore),
                                  smtp.enabled());
        // Signing in the browser: tablet page, landlord's list, links, consent from the signed autorisation.
        web::addSigningPages(*router, *webApp, web::SigningPageServices{dossiers, signing, transmissions});
        // Operations (issue 16): the API description, /metrics; before the web fallback (it takes every other path).
        auto api = loadApiDescription();
        if (!api.isOk() && !setting("openapi", "").empty()) { printStatus(api.status()); return EXIT_CONFIG; }
        if (!api.isOk()) std::cerr << "avertissement : " << api.status().message() << " /v1/openapi.json non servi." << std::endl;
        std::shared_ptr<const http::ApiDescription> apiDescription = api.isOk() ? api.value() : nullptr;
        http::addOpsRoutes(*router, http::OpsSettings{setting("metrics-token", ""), apiDescription});
        web::addWebFallback(*router, *webApp);
        if (config().getBool("passerelle.list-routes", false)) {
            for (const auto& r : router->routes()) std::cout << r.method << " " << r.pathTemplate << std::endl;
            return EXIT_OK;
        }
        // Webhook push: the durable outbox, drained every 2 s by a background thread.
        service::DeliveryLoop deliveryLoop(store.value(), store.value(), webhookSender, catalog.value().forms);
        deliveryLoop.setNotifier(*notifier); // a push dead for good: the référent is told
        std::cout << "Base de données : " << store.value()->describe() << " (schéma "
                  << store.value()->schemaVersion().value() << ")" << std::endl;
        auto orgs = store.value()->listOrganisations();
        if (orgs.isOk() && orgs.value().empty()) std::cout << app::firstStartHelp() << std::endl;
        http::Server server(sc, router);
        Poco::Logger* accessLog = openAccessLog();
        server.setObserver(http::requestObserver(apiDescription, accessLog));
        http::registerServerGauges(server);
        registerStoreGauges(store.value());
        server.start();
        deliveryLoop.start();
        if (mailLoop) mailLoop->start();
        // Checkpoints of the audit chain's head, outside the database (every minute when it moved, and at stop).
        AuditCheckpointer checkpointer(store.value(), auditSettings(), setting("audit.checkpoint-seconds", "60"));
        std::cout << "Passerelle écoute sur http://" << sc.host << ":" << server.port() << " (formulaires : "
                  << catalog.value().forms->all().size() << " ; threads : " << sc.workers << ", file d'attente : "
                  << sc.queueLength << ", sessions de base : " << intSetting("db-pool", sc.workers + 4) << ")" << std::endl;
        waitForTerminationRequest();
        // Drain: no new connection; requests in flight finish (drain-seconds at most), then the rest closes.
        std::cout << "Arrêt de Passerelle : fin des requêtes en cours (" << sc.drainSeconds << " s au plus)." << std::endl;
        server.stop();
        deliveryLoop.stop();
        if (mailLoop) mailLoop->stop();
        metrics::Registry::global().removeGauges();
        std::cout << "Passerelle arrêtée." << std::endl;
        return EXIT_OK;
    }
};

} // namespace passerelle

POCO_SERVER_MAIN(passerelle::PasserelleApp)
