#include "app/Settings.h"

#include <cstdlib>
#include <sstream>

extern char** environ;

namespace passerelle::app {

namespace {

const char* SERVICE = "Service (serve)";
const char* DATA = "Données et fichiers";
const char* LIMITS = "Limites du front HTTP (serve ; docs/operations.md)";
const char* OBSERVE = "Observation (serve)";
const char* AUDIT = "Journal d’audit";
const char* SEAL = "Cachet des documents signés (docs/signatures.md)";
const char* WEB = "Application web (docs/web.md)";
const char* MAIL = "Courriel des notifications (serve ; docs/notifications.md)";
const char* SIGNING = "Signature (docs/signatures.md)";
const char* RETENTION = "Conservation des données (retention ; docs/rgpd.md)";
const char* WEBHOOK = "Push aux webhooks des bailleurs (docs/web.md)";
const char* COMMAND = "Arguments des commandes (ligne de commande seulement)";

std::vector<Setting> makeTable() {
    return {
        // Service.
        {"port", "port", "p", "PASSERELLE_PORT", "N", SERVICE, "Port HTTP d’écoute.", "8080"},
        {"host", "host", "H", "PASSERELLE_HOST", "ADRESSE", SERVICE, "Adresse d’écoute (0.0.0.0 : toutes).", "127.0.0.1"},
        {"config", "config", "c", "PASSERELLE_CONFIG", "FICHIER", SERVICE,
         "Fichier de configuration .properties (clés passerelle.CLÉ ; voir examples/passerelle.properties).", ""},
        {"data-dir", "data-dir", "", "PASSERELLE_DATA_DIR", "DIR", SERVICE,
         "Répertoire des données : base SQLite, clés d’audit, cachet de développement, journal des accès.", "var"},
        {"db", "db", "", "PASSERELLE_DB", "URL", SERVICE,
         "Base de données : sqlite:CHEMIN ou postgresql://utilisateur@hôte:5432/base (le mot de passe n’est jamais affiché).",
         "SQLite dans DATA_DIR", true},
        {"db-pool", "db-pool", "", "PASSERELLE_DB_POOL", "N", SERVICE, "Sessions de base de données.", "threads + 4"},
        // Data files.
        {"forms", "forms", "", "PASSERELLE_FORMS", "DIR", DATA, "Répertoire des formulaires.", "./forms, sinon ceux installés"},
        {"templates", "templates", "", "PASSERELLE_TEMPLATES", "DIR", DATA, "Répertoire des modèles.",
         "./templates, sinon ceux installés"},
        {"fonts", "fonts", "", "PASSERELLE_FONTS", "DIR", DATA, "Répertoire des polices.", "./fonts, sinon celles installées"},
        {"web", "web", "", "PASSERELLE_WEB", "DIR", DATA, "Répertoire des pages web (views/ et static/).",
         "./web, sinon celles installées"},
        {"openapi", "openapi", "", "PASSERELLE_OPENAPI", "FICHIER", DATA,
         "Description OpenAPI servie sur /v1/openapi.json et /v1/docs.", "docs/openapi.json"},
        // HTTP front.
        {"max-body", "max-body", "", "PASSERELLE_MAX_BODY", "OCTETS", LIMITS, "Taille maximale d’un corps de requête (413 au-delà).",
         "2097152"},
        {"workers", "workers", "", "PASSERELLE_WORKERS", "N", LIMITS, "Threads qui traitent les requêtes.", "2 × cœurs"},
        {"queue-length", "queue-length", "", "PASSERELLE_QUEUE_LENGTH", "N", LIMITS,
         "Requêtes en attente d’un thread au plus ; au-delà : 429.", "32 × threads"},
        {"max-connections", "max-connections", "", "PASSERELLE_MAX_CONNECTIONS", "N", LIMITS, "Connexions ouvertes au plus.",
         "10000"},
        {"max-connections-per-client", "max-connections-per-client", "", "PASSERELLE_MAX_CONNECTIONS_PER_CLIENT", "N", LIMITS,
         "Connexions ouvertes au plus par adresse cliente ; 0 : sans limite (derrière un mandataire inverse).", "256"},
        {"request-timeout", "request-timeout", "", "PASSERELLE_REQUEST_TIMEOUT", "MS", LIMITS,
         "Durée maximale du traitement d’une requête, en millisecondes (503 au-delà).", "10000"},
        {"keep-alive-seconds", "", "", "PASSERELLE_KEEP_ALIVE_SECONDS", "S", LIMITS, "Attente entre deux requêtes d’une connexion.",
         "5"},
        {"head-timeout-seconds", "", "", "PASSERELLE_HEAD_TIMEOUT_SECONDS", "S", LIMITS, "Délai total de réception d’un en-tête.",
         "10"},
        {"body-timeout-seconds", "", "", "PASSERELLE_BODY_TIMEOUT_SECONDS", "S", LIMITS, "Délai total de réception d’un corps.", "30"},
        {"write-timeout-seconds", "", "", "PASSERELLE_WRITE_TIMEOUT_SECONDS", "S", LIMITS,
         "Une réponse qui n’avance pas pendant ce délai est abandonnée.", "10"},
        {"drain-seconds", "", "", "PASSERELLE_DRAIN_SECONDS", "S", LIMITS, "À l’arrêt, temps laissé aux requêtes en cours.", "10"},
        {"max-pending-response-mb", "", "", "PASSERELLE_MAX_PENDING_RESPONSE_MB", "MO", LIMITS,
         "Réponses pas encore envoyées, toutes connexions ensemble ; au-delà : 429.", "64"},
        {"trim-after-request-kb", "", "", "PASSERELLE_TRIM_AFTER_REQUEST_KB", "KO", LIMITS,
         "Après une requête plus lourde, la mémoire est rendue au système ; 0 : jamais.", "1024"},
        // Observation.
        {"metrics-token", "metrics-token", "", "PASSERELLE_METRICS_TOKEN", "JETON", OBSERVE,
         "Active GET /metrics (format Prometheus), qui exige alors « Authorization: Bearer JETON ».", "désactivé", true},
        {"access-log", "access-log", "", "PASSERELLE_ACCESS_LOG", "FICHIER", OBSERVE,
         "Journal des accès, une ligne JSON par requête : un fichier, « - » pour la sortie standard, « off » pour aucun.",
         "DATA_DIR/access.log"},
        // Audit.
        {"audit.key-file", "audit-key-file", "", "PASSERELLE_AUDIT_KEY_FILE", "FICHIER", AUDIT,
         "Fichier des clés du journal d’audit (la clé elle-même peut venir de PASSERELLE_AUDIT_KEY).", "DATA_DIR/audit.key"},
        {"audit.checkpoints", "audit-checkpoints", "", "PASSERELLE_AUDIT_CHECKPOINTS", "FICHIER", AUDIT,
         "Fichier des points de contrôle du journal.", "DATA_DIR/audit-checkpoints.log"},
        {"audit.checkpoint-seconds", "", "", "PASSERELLE_AUDIT_CHECKPOINT_SECONDS", "S", AUDIT,
         "Intervalle entre deux points de contrôle écrits par serve.", "60"},
        {"audit.syslog", "", "", "PASSERELLE_AUDIT_SYSLOG", "true|false", AUDIT, "Envoie aussi les points de contrôle à syslog.",
         "false"},
        // Secrets at rest (webhook signing secrets, docs/operations.md).
        {"secrets.key", "", "", "PASSERELLE_SECRETS_KEY", "BASE64", AUDIT,
         "Clé de chiffrement des secrets de webhook (AES-256-GCM) : 32 octets en base64.", "", true},
        {"secrets.keyFile", "", "", "PASSERELLE_SECRETS_KEY_FILE", "FICHIER", AUDIT,
         "Fichier de la clé des secrets de webhook (une ligne base64).", "DATA_DIR/secrets.key, créé au premier démarrage (0600)"},
        // Seal.
        {"seal.pkcs12", "", "", "PASSERELLE_SEAL_PKCS12", "FICHIER", SEAL, "Cachet au format PKCS#12.",
         "certificat de développement dans DATA_DIR/seal"},
        {"seal.password", "", "", "PASSERELLE_SEAL_PASSWORD", "MOT", SEAL, "Mot de passe du fichier PKCS#12.", "", true},
        {"seal.key", "", "", "PASSERELLE_SEAL_KEY", "FICHIER", SEAL, "Clé privée PEM du cachet (avec seal.cert).", ""},
        {"seal.cert", "", "", "PASSERELLE_SEAL_CERT", "FICHIER", SEAL, "Certificat PEM du cachet.", ""},
        // Web.
        {"web.secureCookies", "", "", "PASSERELLE_WEB_SECURE_COOKIES", "true|false", WEB,
         "Cookies marqués Secure (derrière un mandataire TLS).", "false"},
        {"web.trustProxy", "", "", "PASSERELLE_WEB_TRUST_PROXY", "true|false", WEB,
         "Croit X-Forwarded-Proto et X-Forwarded-For du mandataire inverse.", "false"},
        {"web.idleMinutes", "", "", "PASSERELLE_WEB_IDLE_MINUTES", "MIN", WEB, "Fin d’une session sans activité.", "30"},
        {"web.absoluteHours", "", "", "PASSERELLE_WEB_ABSOLUTE_HOURS", "H", WEB, "Durée maximale d’une session.", "12"},
        {"web.delayAfterFailures", "", "", "PASSERELLE_WEB_DELAY_AFTER_FAILURES", "N", WEB,
         "Échecs de connexion d’un compte avant un délai.", "3"},
        {"web.maxDelaySeconds", "", "", "PASSERELLE_WEB_MAX_DELAY_SECONDS", "S", WEB, "Délai maximal entre deux essais.", "60"},
        {"web.lockAfterFailures", "", "", "PASSERELLE_WEB_LOCK_AFTER_FAILURES", "N", WEB, "Échecs avant le verrouillage du compte.",
         "10"},
        {"web.lockMinutes", "", "", "PASSERELLE_WEB_LOCK_MINUTES", "MIN", WEB, "Durée du verrouillage.", "15"},
        {"web.addressDelayAfterFailures", "", "", "PASSERELLE_WEB_ADDRESS_DELAY_AFTER_FAILURES", "N", WEB,
         "Échecs depuis une adresse avant un délai.", "20"},
        {"web.addressLockAfterFailures", "", "", "PASSERELLE_WEB_ADDRESS_LOCK_AFTER_FAILURES", "N", WEB,
         "Échecs depuis une adresse avant son blocage.", "50"},
        {"smtp.host", "smtp-host", "", "PASSERELLE_SMTP_HOST", "HOTE", MAIL, "Relais SMTP ; sans relais, aucun courriel.", ""},
        {"smtp.port", "smtp-port", "", "PASSERELLE_SMTP_PORT", "N", MAIL, "Port du relais SMTP.", "25"},
        {"smtp.user", "", "", "PASSERELLE_SMTP_USER", "NOM", MAIL, "Identifiant auprès du relais (sous TLS).", ""},
        {"smtp.password", "", "", "PASSERELLE_SMTP_PASSWORD", "MOT", MAIL, "Mot de passe auprès du relais.", "", true},
        {"smtp.from", "", "", "PASSERELLE_SMTP_FROM", "ADRESSE", MAIL, "Expéditeur des courriels.", "Passerelle <passerelle@localhost>"},
        {"smtp.starttls", "", "", "PASSERELLE_SMTP_STARTTLS", "auto|required|off", MAIL, "STARTTLS avec le relais.", "auto"},
        {"smtp.ca-file", "", "", "PASSERELLE_SMTP_CA_FILE", "FICHIER", MAIL, "Autorités de certification du relais.", "celles du système"},
        {"smtp.timeout-seconds", "", "", "PASSERELLE_SMTP_TIMEOUT_SECONDS", "S", MAIL, "Délai d’une session SMTP.", "20"},
        {"public-url", "", "", "PASSERELLE_PUBLIC_URL", "URL", MAIL, "Adresse publique du service, pour les liens des courriels.",
         "http://HOTE:PORT"},
        {"notifications.consent-reminder-days", "", "", "PASSERELLE_NOTIFICATIONS_CONSENT_REMINDER_DAYS", "JOURS", MAIL,
         "Rappel avant l’échéance d’un consentement.", "30"},
        {"notifications.interval-ms", "", "", "PASSERELLE_NOTIFICATIONS_INTERVAL_MS", "MS", MAIL, "Intervalle d’envoi de la file.", "2000"},
        {"notifications.reminder-interval-seconds", "", "", "PASSERELLE_NOTIFICATIONS_REMINDER_INTERVAL_SECONDS", "S", MAIL,
         "Intervalle de recherche des consentements à rappeler.", "3600"},
        {"notifications.retry-base-ms", "", "", "PASSERELLE_NOTIFICATIONS_RETRY_BASE_MS", "MS", MAIL,
         "Premier délai avant une nouvelle tentative.", "30000"},
        {"notifications.max-attempts", "", "", "PASSERELLE_NOTIFICATIONS_MAX_ATTEMPTS", "N", MAIL, "Tentatives d’envoi au plus.", "12"},
        // Issue 11 item 8: deny by default; only https to public addresses, unless a host is named here.
        {"webhook.allow-hosts", "", "", "PASSERELLE_WEBHOOK_ALLOW_HOSTS", "HOTE,HOTE", WEBHOOK,
         "Hôtes de webhook autorisés malgré une adresse interne (privée, locale, de métadonnées) et en http:// "
         "(ex. 127.0.0.1 pour un récepteur local) ; séparés par des virgules.",
         "aucun : https:// vers une adresse publique seulement"},
        {"webhook.ca-file", "", "", "PASSERELLE_WEBHOOK_CA_FILE", "FICHIER", WEBHOOK,
         "Autorités de certification (PEM) acceptées en plus de celles du système pour les webhooks https://.",
         "celles du système"},
        {"signing.linkMinutes", "", "", "PASSERELLE_SIGNING_LINK_MINUTES", "MIN", SIGNING,
         "Durée de vie d’un lien de signature personnel.", "2880"},
        // Retention (issue 11, item 12): the CNIL's référentiel for social and medico-social support.
        {"retention.archive-after-months", "", "", "PASSERELLE_RETENTION_ARCHIVE_AFTER_MONTHS", "MOIS", RETENTION,
         "Un dossier clos est archivé (lecture seule) ce nombre de mois après sa clôture.", "24"},
        {"retention.erase-after-months", "", "", "PASSERELLE_RETENTION_ERASE_AFTER_MONTHS", "MOIS", RETENTION,
         "Les données personnelles d’un dossier clos sont effacées ce nombre de mois après sa clôture ; le journal "
         "d’audit garde les identifiants et les empreintes.",
         "60"},
        // Per-command arguments.
        {"output", "output", "o", "", "FICHIER", COMMAND, "Fichier de sortie (render).", ""},
        {"format", "format", "f", "", "FORMAT", COMMAND, "Format de sortie : pdf ou xlsx (render).", "extension du fichier"},
        {"variant", "variant", "V", "", "NOM", COMMAND, "Variante du modèle, par exemple un territoire (render).", ""},
        {"kind", "kind", "", "", "TYPE", COMMAND, "Type d’organisation : association, bailleur, financeur ou siao (admin create-org).",
         ""},
        {"name", "name", "", "", "NOM", COMMAND, "Personne qui utilise la clé ou le compte (admin create-key, create-user).", ""},
        {"funders", "funders", "", "", "ORGS", COMMAND, "Financeurs d’une action, séparés par des virgules (admin create-action).",
         ""},
        {"siao", "siao", "", "", "ORG", COMMAND, "SIAO mis en copie des transmissions du partenariat (admin create-partnership).", ""},
        {"role", "role", "", "", "RÔLE", COMMAND, "Rôle d’un compte : admin ou membre (admin create-user).", ""},
        {"password-stdin", "password-stdin", "", "", "", COMMAND,
         "Lit le mot de passe du compte sur l’entrée standard (à changer à la première connexion).", ""},
        {"keep-password", "keep-password", "", "", "", COMMAND,
         "Avec --password-stdin : la personne garde ce mot de passe, aucun changement n’est demandé.", ""},
        {"out", "out", "", "", "FICHIER", COMMAND, "Archive ZIP produite (export-household).", ""},
        {"dry-run", "dry-run", "", "", "", COMMAND, "retention : affiche ce qui serait archivé ou effacé, sans rien modifier.", ""},
        {"apply", "apply", "", "", "", COMMAND, "retention : archive et efface ce qui est échu.", ""},
        {"today", "today", "", "", "AAAA-MM-JJ", COMMAND, "retention : date du calcul des échéances (défaut : aujourd’hui, UTC).",
         ""},
        {"list-routes", "list-routes", "", "", "", COMMAND, "serve : affiche les routes enregistrées et s’arrête.", ""},
        {"help", "help", "h", "", "", COMMAND, "Affiche cette aide.", ""},
    };
}

// Display width of UTF-8 text (code points; every character used here is one column).
int columns(const std::string& s) {
    int n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

} // namespace

const std::vector<Setting>& settings() {
    static const std::vector<Setting> table = makeTable();
    return table;
}

const Setting* findSetting(const std::string& key) {
    for (const auto& s : settings())
        if (s.key == key) return &s;
    return nullptr;
}

Poco::AutoPtr<Poco::Util::MapConfiguration> environmentLayer(const std::map<std::string, std::string>& env) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> layer(new Poco::Util::MapConfiguration);
    for (const auto& s : settings()) {
        if (s.env.empty()) continue;
        auto it = env.find(s.env);
        if (it != env.end() && !it->second.empty()) layer->setString("passerelle." + s.key, it->second);
    }
    return layer;
}

Poco::AutoPtr<Poco::Util::MapConfiguration> environmentLayer() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos && kv.compare(0, 11, "PASSERELLE_") == 0) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return environmentLayer(env);
}

const char* sourceName(Source s) {
    switch (s) {
    case Source::CommandLine: return "ligne de commande";
    case Source::Environment: return "environnement";
    case Source::File: return "fichier";
    case Source::Default: return "défaut";
    }
    return "";
}

void wrap(std::ostream& out, const std::string& text, int width, int firstColumn, int indent) {
    // Units that never break: French typography keeps « : ; ! ? » » with the word before and « with the one after.
    std::istringstream in(text);
    std::vector<std::string> units;
    std::string token;
    bool glueNext = false;
    while (in >> token) {
        const bool glueBefore = token == ":" || token == ";" || token == "!" || token == "?" || token == "»" || token == "—" || token == "×";
        if (!units.empty() && (glueBefore || glueNext)) units.back() += " " + token;
        else units.push_back(token);
        glueNext = token == "«" || token == "×";
    }
    int col = firstColumn;
    bool lineHasWord = false;
    for (const std::string& word : units) {
        int w = columns(word);
        if (lineHasWord && col + 1 + w > width) {
            out << "\n" << std::string(static_cast<std::size_t>(indent), ' ');
            col = indent;
            lineHasWord = false;
        }
        if (lineHasWord) {
            out << ' ';
            ++col;
        }
        out << word;
        col += w;
        lineHasWord = true;
    }
    out << "\n";
}

void printHelp(std::ostream& out, int width) {
    auto para = [&](const std::string& t) { wrap(out, t, width, 0, 0); };
    para("Passerelle : documents partagés entre associations, bailleurs, SIAO et financeurs.");
    out << "\n";
    out << "Usage : passerelle COMMANDE [ARGUMENTS] [OPTIONS]\n\n";
    out << "Commandes :\n";
    const std::vector<std::pair<std::string, std::string>> commands = {
        {"serve", "Sert l’API /v1, les pages web, /healthz (et /metrics si un jeton est configuré)."},
        {"render FORMULAIRE ENTREE.json -o SORTIE", "Remplit un formulaire et écrit le PDF ou le classeur XLSX."},
        {"validate FORMULAIRE ENTREE.json", "Vérifie un document JSON et liste chaque erreur avec son chemin."},
        {"forms", "Liste les formulaires, leurs versions et leurs variantes."},
        {"verify FICHIER.pdf", "Dit si un PDF signé a été scellé par Passerelle et s’il est intact."},
        {"admin SOUS-COMMANDE …", "Organisations, clés, comptes, partenariats, actions, webhooks (passerelle admin sans argument "
                                  "pour la liste)."},
        {"audit verify | audit checkpoint", "Vérifie le journal d’audit, ou signe sa tête dans le fichier des points de contrôle."},
        {"export-household DOSSIER --out FICHIER.zip",
         "Droit d’accès du ménage : toutes les données du dossier (JSON, PDF) dans une archive ZIP, inscrite au journal."},
        {"retention --dry-run | --apply",
         "Durées de conservation : liste (ou applique) l’archivage et l’effacement des dossiers clos échus (docs/rgpd.md)."},
        {"config check", "Affiche la configuration effective et son origine, sans les secrets, puis la vérifie."},
    };
    for (const auto& [c, h] : commands) {
        out << "  " << c << "\n      ";
        wrap(out, h, width, 6, 6);
    }
    out << "\n";
    para("Chaque réglage se donne, du plus fort au plus faible : en option sur la ligne de commande, par une variable "
         "d’environnement, dans le fichier .properties (--config ou PASSERELLE_CONFIG, clé passerelle.CLÉ), sinon sa "
         "valeur par défaut.");
    std::string group;
    for (const auto& s : settings()) {
        if (s.group != group) {
            group = s.group;
            out << "\n" << group << " :\n";
        }
        std::string head = "  ";
        if (!s.option.empty()) {
            if (!s.shortOption.empty()) head += "-" + s.shortOption + ", ";
            head += "--" + s.option + (s.argument.empty() ? "" : "=" + s.argument);
        } else {
            head += "passerelle." + s.key + (s.argument.empty() ? "" : " = " + s.argument);
        }
        out << head << "\n      ";
        std::string text = s.help;
        if (!s.fallback.empty()) text += " Par défaut : " + s.fallback + ".";
        std::vector<std::string> origins;
        if (!s.env.empty()) origins.push_back("variable " + s.env);
        if (!s.option.empty() && s.group != COMMAND) origins.push_back("propriété passerelle." + s.key);
        if (!origins.empty()) {
            text += " Aussi :";
            for (std::size_t i = 0; i < origins.size(); ++i) text += (i ? ", " : " ") + origins[i];
            text += ".";
        }
        wrap(out, text, width, 6, 6);
    }
    out << "\nOptions du démon (serve, Poco ServerApplication) :\n";
    const std::vector<std::pair<std::string, std::string>> daemon = {
        {"--daemon", "Se détache du terminal et tourne en arrière-plan (préférez une unité systemd, examples/passerelle.service)."},
        {"--pidfile=FICHIER", "Écrit le numéro du processus dans FICHIER (avec --daemon)."},
        {"--umask=MASQUE", "Masque des droits des fichiers créés, en octal (avec --daemon)."},
    };
    for (const auto& [o, h] : daemon) {
        out << "  " << o << "\n      ";
        wrap(out, h, width, 6, 6);
    }
    out << "\nExemples :\n";
    const std::vector<std::pair<std::string, std::string>> examples = {
        {"Rendre une fiche navette en PDF :",
         "passerelle render fiche-navette examples/fiche-navette-association-vers-bailleur.json -o fiche.pdf"},
        {"Servir sur le port 9000 avec les données dans /var/lib/passerelle :",
         "PASSERELLE_DATA_DIR=/var/lib/passerelle passerelle serve --port 9000"},
        {"Servir avec PostgreSQL et les métriques :",
         "passerelle serve --db postgresql://passerelle@127.0.0.1:5432/passerelle --metrics-token \"$JETON\""},
        {"Créer une association et sa première clé :",
         "passerelle admin create-org ADGESTI --kind association && passerelle admin create-key ADGESTI --name \"Claire Lefèvre\""},
        {"Voir la configuration effective :", "passerelle config check --config /etc/passerelle/passerelle.properties"},
    };
    for (const auto& [what, cmd] : examples) {
        out << "  ";
        wrap(out, what, width, 2, 2);
        out << "    " << cmd << "\n";
    }
    out << "\nCodes de sortie :\n";
    const std::vector<std::pair<std::string, std::string>> codes = {
        {"0", "Réussite."},
        {"1", "verify : le PDF n’est pas scellé par Passerelle ou a été modifié."},
        {"64", "Usage incorrect : commande ou option inconnue, argument manquant, format non pris en charge."},
        {"65", "Données invalides : document JSON illisible ou qui ne respecte pas le formulaire, journal d’audit altéré."},
        {"66", "Entrée introuvable : formulaire ou variante inconnus, fichier d’entrée absent, base inexistante (audit)."},
        {"70", "Erreur interne."},
        {"73", "Fichier de sortie impossible à écrire."},
        {"78", "Configuration invalide : réglage incorrect, formulaires ou modèles illisibles, base inaccessible."},
    };
    for (const auto& [c, h] : codes) {
        out << "  " << c << std::string(4 - c.size(), ' ');
        wrap(out, h, width, 6, 6);
    }
}

std::string maskedUrl(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    auto at = url.find('@', scheme + 3);
    if (at == std::string::npos) return url;
    auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return url;
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::vector<std::string> printEffectiveConfiguration(std::ostream& out, const Poco::Util::AbstractConfiguration& config,
                                                     const std::map<std::string, Source>& sources) {
    std::vector<std::string> problems;
    std::string group;
    for (const auto& s : settings()) {
        if (s.group == COMMAND) continue;
        if (s.group != group) {
            group = s.group;
            out << "# " << group << "\n";
        }
        const std::string prop = "passerelle." + s.key;
        const bool set = config.hasProperty(prop);
        auto src = sources.find(s.key);
        Source from = set && src != sources.end() ? src->second : Source::Default;
        std::string value = set ? config.getString(prop) : "";
        std::string shown;
        if (!set) shown = s.fallback.empty() ? "(aucune)" : s.fallback;
        else if (s.key == "db") shown = maskedUrl(value);
        else if (s.secret) shown = "(défini, masqué)";
        else shown = value;
        out << prop << " = " << shown << "  [" << sourceName(from) << (s.env.empty() ? "" : ", " + s.env) << "]\n";
        // Numbers must be numbers.
        if (set && (s.argument == "N" || s.argument == "MS" || s.argument == "S" || s.argument == "OCTETS" || s.argument == "MO" ||
                    s.argument == "KO" || s.argument == "MIN" || s.argument == "H")) {
            bool digits = !value.empty() && value.size() <= 12;
            for (char c : value) digits = digits && c >= '0' && c <= '9';
            if (!digits) problems.push_back(prop + " : « " + value + " » n’est pas un nombre entier positif.");
            if (digits && s.key == "port" && std::stol(value) > 65535)
                problems.push_back(prop + " : " + value + " dépasse 65535.");
        }
        if (set && s.argument == "true|false" && value != "true" && value != "false")
            problems.push_back(prop + " : « " + value + " » : true ou false attendu.");
    }
    const char* auditKey = std::getenv("PASSERELLE_AUDIT_KEY");
    out << "PASSERELLE_AUDIT_KEY = " << (auditKey && *auditKey ? "(défini, masqué)" : "(aucune)") << "  [environnement]\n";
    return problems;
}

} // namespace passerelle::app
