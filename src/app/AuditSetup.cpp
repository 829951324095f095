#include "app/AuditSetup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/File.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/RandomStream.h>
#include <Poco/String.h>
#include <Poco/Message.h>
#include <Poco/SyslogChannel.h>
#include <Poco/Timestamp.h>

namespace passerelle::app {

namespace {

const int EXIT_OK_ = 0, EXIT_USAGE_ = 64, EXIT_DATAERR_ = 65, EXIT_NOINPUT_ = 66, EXIT_SOFTWARE_ = 70,
          EXIT_CONFIG_ = 78;

std::string randomHex(std::size_t bytes) {
    Poco::RandomInputStream rnd;
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        unsigned char c = static_cast<unsigned char>(rnd.get());
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

Status addKeys(audit::AuditKeyring& ring, const std::vector<std::string>& keys, const std::string& where) {
    for (std::size_t i = 0; i < keys.size(); ++i)
        if (!ring.add(keys[i]))
            return Status::invalidArgument("audit_key_too_short", "Clé d'audit n° " + std::to_string(i + 1) + " de " + where +
                                                                      " trop courte : 16 caractères au moins.");
    if (ring.empty()) return Status::invalidArgument("audit_key_empty", "Aucune clé d'audit dans " + where + ".");
    return Status::ok();
}

std::string nowIso() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

// A copy of each checkpoint where the database cannot reach it either.
void toSyslog(const std::string& line) {
    Poco::AutoPtr<Poco::SyslogChannel> ch(new Poco::SyslogChannel("passerelle-audit", Poco::SyslogChannel::SYSLOG_PID,
                                                                  Poco::SyslogChannel::SYSLOG_AUTHPRIV));
    ch->open();
    ch->log(Poco::Message("passerelle-audit", line, Poco::Message::PRIO_NOTICE));
    ch->close();
}

std::map<std::string, std::string> copiesOf(const std::string& details) {
    std::map<std::string, std::string> out;
    try {
        auto obj = Poco::JSON::Parser().parse(details).extract<Poco::JSON::Object::Ptr>();
        auto copies = obj->getObject("copies");
        if (copies)
            for (const auto& [format, sha] : *copies) out[format] = sha.toString();
    } catch (const Poco::Exception&) {
    }
    return out;
}

} // namespace

AuditSettings auditSettings(const std::string& dataDir, const std::string& keyFile, const std::string& checkpointFile,
                            bool syslog) {
    AuditSettings s;
    const char* env = std::getenv("PASSERELLE_AUDIT_KEY");
    s.keysFromEnvironment = env ? env : "";
    const std::string dir = dataDir.empty() ? "var" : dataDir;
    s.keyFile = keyFile.empty() ? Poco::Path(dir).append("audit.key").toString() : keyFile;
    s.checkpointFile = checkpointFile.empty() ? Poco::Path(dir).append("audit-checkpoints.log").toString() : checkpointFile;
    s.syslog = syslog;
    return s;
}

Result<std::shared_ptr<const audit::AuditKeyring>> loadAuditKeys(const AuditSettings& settings, bool createIfMissing) {
    auto ring = std::make_shared<audit::AuditKeyring>();
    if (!settings.keysFromEnvironment.empty()) {
        std::vector<std::string> keys;
        std::stringstream in(settings.keysFromEnvironment);
        for (std::string k; std::getline(in, k, ',');)
            if (!Poco::trim(k).empty()) keys.push_back(Poco::trim(k));
        Status st = addKeys(*ring, keys, "PASSERELLE_AUDIT_KEY");
        if (!st.isOk()) return st;
        return std::shared_ptr<const audit::AuditKeyring>(ring);
    }
    Poco::File file(settings.keyFile);
    if (!file.exists()) {
        if (!createIfMissing)
            return Status::notFound("audit_key_missing", "Clé d'audit introuvable : " + settings.keyFile +
                                                             " (ni fichier ni variable PASSERELLE_AUDIT_KEY).");
        Poco::File(Poco::Path(settings.keyFile).makeParent()).createDirectories();
        const std::string line = "# Clé du journal d'audit de Passerelle : à garder hors de la base et à sauvegarder.\n" +
                                 randomHex(32) + "\n";
        int fd = ::open(settings.keyFile.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
            ::close(fd);
            if (!ok) return Status::internal("audit_key_write", "Écriture impossible de la clé d'audit : " + settings.keyFile);
        } else if (errno != EEXIST) {
            return Status::internal("audit_key_write", "Création impossible de la clé d'audit : " + settings.keyFile);
        }
    }
    std::ifstream in(settings.keyFile);
    if (!in) return Status::internal("audit_key_read", "Lecture impossible de la clé d'audit : " + settings.keyFile);
    std::vector<std::string> keys;
    for (std::string line; std::getline(in, line);) {
        std::string k = Poco::trim(line);
        if (!k.empty() && k[0] != '#') keys.push_back(k);
    }
    Status st = addKeys(*ring, keys, settings.keyFile);
    if (!st.isOk()) return st;
    return std::shared_ptr<const audit::AuditKeyring>(ring);
}

Result<std::vector<audit::Checkpoint>> readCheckpoints(const std::string& path) {
    std::vector<audit::Checkpoint> out;
    if (!Poco::File(path).exists()) return out;
    std::ifstream in(path);
    if (!in) return Status::internal("checkpoint_read", "Lecture impossible des points de contrôle : " + path);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (Poco::trim(line).empty()) continue;
        auto c = audit::parseCheckpoint(line);
        if (!c)
            return Status::invalidArgument("checkpoint_malformed", "Point de contrôle illisible, " + path + " ligne " +
                                                                       std::to_string(n) + ".");
        out.push_back(*c);
    }
    return out;
}

Status writeCheckpoint(storage::Store& store, const audit::AuditKeyring& keys, const AuditSettings& settings,
                       bool* written) {
    if (written) *written = false;
    auto head = store.auditHead();
    if (!head.isOk()) return head.status();
    const std::int64_t count = head.value() ? head.value()->seq : 0;
    const std::string hash = head.value() ? head.value()->hash : audit::kGenesis;
    const std::string database = audit::databaseTag(store.describe());
    auto existing = readCheckpoints(settings.checkpointFile);
    if (existing.isOk())
        for (auto it = existing.value().rbegin(); it != existing.value().rend(); ++it) {
            if (it->database != database) continue;
            if (it->count == count && it->headHash == hash) return Status::ok();
            break;
        }
    const std::string line = audit::formatCheckpoint(audit::makeCheckpoint(count, hash, nowIso(), keys, database)) + "\n";
    Poco::File(Poco::Path(settings.checkpointFile).makeParent()).createDirectories();
    int fd = ::open(settings.checkpointFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0)
        return Status::internal("checkpoint_write", "Écriture impossible du point de contrôle : " + settings.checkpointFile);
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return Status::internal("checkpoint_write", "Écriture impossible du point de contrôle : " + settings.checkpointFile);
    if (settings.syslog) toSyslog(line.substr(0, line.size() - 1));
    if (written) *written = true;
    return Status::ok();
}

std::vector<std::string> crossCheck(const storage::AuditedState& state, const std::vector<audit::AuditEntry>& entries) {
    std::vector<std::string> problems;
    std::multimap<std::string, const audit::AuditEntry*> bySubject;
    for (const auto& e : entries) bySubject.emplace(e.subject, &e);
    auto find = [&](const std::string& subject, const std::set<std::string>& events) -> const audit::AuditEntry* {
        auto [b, e] = bySubject.equal_range(subject);
        for (auto it = b; it != e; ++it)
            if (events.count(it->second->event)) return it->second;
        return nullptr;
    };
    std::set<std::string> consentIds;
    for (const auto& c : state.consents) {
        consentIds.insert(c.id);
        const bool refusal = c.kind == "refusal";
        if (!find(c.id, {refusal ? "consent.refused" : "consent.given"}))
            problems.push_back("Consentement " + c.id + " sans son entrée au journal (" +
                               (refusal ? "consent.refused" : "consent.given") + ").");
        const bool journalWithdrawn = find(c.id, {"consent.withdrawn"}) != nullptr;
        if (c.withdrawn && !journalWithdrawn)
            problems.push_back("Retrait du consentement " + c.id + " absent du journal.");
        if (!c.withdrawn && journalWithdrawn)
            problems.push_back("Consentement " + c.id + " retiré au journal mais en vigueur dans la base (retrait effacé).");
    }
    for (const auto& e : entries)
        if ((e.event == "consent.given" || e.event == "consent.refused") && !consentIds.count(e.subject))
            problems.push_back("Consentement " + e.subject + " inscrit au journal (entrée n° " + std::to_string(e.seq) +
                               ") mais absent de la base.");
    for (const auto& t : state.transmissions) {
        const char* event = !t.copyOf.empty() ? "transmission.copied" : t.allowed ? "transmission.sent" : "transmission.refused";
        const audit::AuditEntry* entry = find(t.id, {event});
        if (!entry) {
            problems.push_back("Transmission " + t.id + " sans son entrée au journal (" + event + ").");
            continue;
        }
        auto journal = copiesOf(entry->details);
        if (journal != t.artefactSha256)
            problems.push_back("Transmission " + t.id + " : les copies conservées ne correspondent pas aux empreintes du journal (entrée n° " +
                               std::to_string(entry->seq) + ").");
    }
    // Issue 11 item 7: a cancelled push has its journal entry with the same reason, was never
    // delivered, and every cancellation in the journal is a cancelled message in the base.
    std::set<std::string> cancelledIds;
    for (const auto& m : state.cancelledMessages) {
        cancelledIds.insert(m.id);
        const audit::AuditEntry* entry = find(m.id, {"delivery.cancelled"});
        if (!entry) {
            problems.push_back("Envoi " + m.id + " annulé sans son entrée au journal (delivery.cancelled).");
            continue;
        }
        if (entry->details.find("\"reason\":\"" + m.reason + "\"") == std::string::npos)
            problems.push_back("Envoi " + m.id + " : le motif d'annulation « " + m.reason +
                               " » ne correspond pas au journal (entrée n° " + std::to_string(entry->seq) + ").");
        if (state.deliveredMessages.count(m.id) || find(m.id, {"delivery.delivered"}))
            problems.push_back("Envoi " + m.id + " annulé mais remis au destinataire.");
    }
    for (const auto& e : entries)
        if (e.event == "delivery.cancelled" && !cancelledIds.count(e.subject))
            problems.push_back("Envoi " + e.subject + " annulé au journal (entrée n° " + std::to_string(e.seq) +
                               ") mais pas dans la base.");
    return problems;
}

int runAudit(storage::Store& store, const std::vector<std::string>& args, const AuditSettings& settings,
             std::ostream& out, std::ostream& err) {
    if (args.size() != 1 || (args[0] != "verify" && args[0] != "checkpoint")) {
        err << "usage : passerelle audit verify|checkpoint [--data-dir DIR | --db URL]" << std::endl;
        return EXIT_USAGE_;
    }
    const bool verifying = args[0] == "verify";
    auto keys = loadAuditKeys(settings, /*createIfMissing=*/false);
    const bool noKey = !keys.isOk() && keys.status().code() == Status::Code::NotFound;
    if (!keys.isOk() && (!verifying || !noKey)) {
        err << "erreur : " << keys.status().toString() << std::endl;
        return noKey ? EXIT_NOINPUT_ : EXIT_CONFIG_;
    }
    // Without a key, only unkeyed entries can be checked: a signed entry then fails as "unknown_key".
    if (noKey) {
        out << "attention : " << keys.status().message() << " Seules les entrées non signées peuvent être vérifiées."
            << std::endl;
        keys = std::shared_ptr<const audit::AuditKeyring>(std::make_shared<audit::AuditKeyring>());
    }
    if (!verifying) {
        bool written = false;
        Status st = writeCheckpoint(store, *keys.value(), settings, &written);
        if (!st.isOk()) {
            err << "erreur : " << st.toString() << std::endl;
            return EXIT_SOFTWARE_;
        }
        out << (written ? "point de contrôle inscrit : " : "point de contrôle déjà à jour : ") << settings.checkpointFile
            << std::endl;
        return EXIT_OK_;
    }
    auto entries = store.listAudit();
    if (!entries.isOk()) {
        err << "erreur : " << entries.status().toString() << std::endl;
        return EXIT_SOFTWARE_;
    }
    auto checkpoints = readCheckpoints(settings.checkpointFile);
    if (!checkpoints.isOk()) {
        err << "erreur : " << checkpoints.status().toString() << std::endl;
        return EXIT_DATAERR_;
    }
    // Only this database's checkpoints (the file may also hold those of another database used
    // with the same data directory, e.g. `--db` on another server).
    const std::string database = audit::databaseTag(store.describe());
    std::vector<audit::Checkpoint> mine;
    for (const auto& c : checkpoints.value()) {
        // Every line must be authentic, whichever database it names: a retagged line is a forgery.
        if (!audit::checkpointAuthentic(c, *keys.value())) {
            err << "journal altéré : point de contrôle du " << c.at << " (checkpoint_forged) — signature invalide." << std::endl;
            return EXIT_DATAERR_;
        }
        if (c.database == database) mine.push_back(c);
    }
    audit::VerifyResult r = audit::verify(entries.value(), *keys.value(), mine);
    if (!r.ok) {
        err << "journal altéré : entrée n° " << r.firstBadSeq << " (" << r.problem << ") — " << r.message << std::endl;
        return EXIT_DATAERR_;
    }
    auto state = store.auditedState();
    if (!state.isOk()) {
        err << "erreur : " << state.status().toString() << std::endl;
        return EXIT_SOFTWARE_;
    }
    auto problems = crossCheck(state.value(), entries.value());
    if (!problems.empty()) {
        err << "journal et base en désaccord : " << problems.size() << " écart(s)" << std::endl;
        for (const auto& p : problems) err << "  - " << p << std::endl;
        return EXIT_DATAERR_;
    }
    out << "journal intègre : " << r.entries << " entrées (" << r.keyed << " signées), " << r.checkpoints
        << " point(s) de contrôle, " << state.value().consents.size() << " consentement(s) et "
        << state.value().transmissions.size() << " transmission(s) conformes au journal" << std::endl;
    if (mine.empty())
        out << "attention : aucun point de contrôle (" << settings.checkpointFile
            << ") : une suppression des dernières entrées ne serait pas vue." << std::endl;
    return EXIT_OK_;
}

} // namespace passerelle::app
