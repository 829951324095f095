// Accounts, web sessions, sign-in throttling and the dossier search index
// (issue 9, migration 4): PocoStore's methods for these aggregates, kept apart
// from PocoStore.cpp. SQL uses "$n" placeholders, rewritten to SQLite's "?n".
#include <deque>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>
#include <Poco/Tuple.h>

#include "common/Text.h"
#include "storage/DossierIndex.h"
#include "storage/PocoStore.h"
#include "storage/SqlBinds.h"

namespace passerelle::storage {

using Poco::Int64;
using Poco::Data::Session;
using Poco::Data::Statement;
using namespace Poco::Data::Keywords;

namespace {

using sql::Sql;
using sql::nowIso;


using UserRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string, Int64,
                            std::string, std::string, std::string>;
const char* USER_COLUMNS =
    "id, organisation_id, email, name, role, password_hash, must_change_password, disabled_at, created_at, updated_at";
User toUser(const UserRow& r) {
    User u;
    u.id = r.get<0>();
    u.organisationId = r.get<1>();
    u.email = r.get<2>();
    u.name = r.get<3>();
    u.role = r.get<4>();
    u.passwordHash = r.get<5>();
    u.mustChangePassword = r.get<6>() != 0;
    u.disabledAt = r.get<7>();
    u.createdAt = r.get<8>();
    u.updatedAt = r.get<9>();
    return u;
}

Status userNotFound() { return Status::notFound("user_not_found", "Utilisateur introuvable."); }

Result<User> userWhere(Session& s, const std::string& column, const std::string& value) {
    Sql q(s);
    std::vector<UserRow> rows;
    q.run(std::string("SELECT ") + USER_COLUMNS + " FROM users WHERE " + column + " = " + q.str(value), into(rows));
    if (rows.empty()) return userNotFound();
    return toUser(rows.front());
}

using DossierRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string, Int64,
                               std::string, std::string, std::string>;
const char* DOSSIER_COLUMNS_D = "d.id, d.association_id, d.reference, d.statut, d.menage_json, d.logement_json,"
                                " d.version, d.created_at, d.updated_at, COALESCE(x.referent_user_id, '')";
Dossier toDossier(const DossierRow& r) {
    Dossier d;
    d.id = r.get<0>();
    d.associationId = r.get<1>();
    d.reference = r.get<2>();
    d.statut = r.get<3>();
    d.menageJson = r.get<4>();
    d.logementJson = r.get<5>();
    d.version = r.get<6>();
    d.createdAt = r.get<7>();
    d.updatedAt = r.get<8>();
    d.referentUserId = r.get<9>();
    return d;
}

// Lower-case Latin letter without its accent, or 0 when `cp` is not one.
const char* foldLetter(char32_t cp) {
    switch (cp) {
    case U'à': case U'á': case U'â': case U'ã': case U'ä': case U'å': case U'À': case U'Á': case U'Â': case U'Ã':
    case U'Ä': case U'Å': return "a";
    case U'æ': case U'Æ': return "ae";
    case U'ç': case U'Ç': return "c";
    case U'è': case U'é': case U'ê': case U'ë': case U'È': case U'É': case U'Ê': case U'Ë': return "e";
    case U'ì': case U'í': case U'î': case U'ï': case U'Ì': case U'Í': case U'Î': case U'Ï': return "i";
    case U'ñ': case U'Ñ': return "n";
    case U'ò': case U'ó': case U'ô': case U'õ': case U'ö': case U'ø': case U'Ò': case U'Ó': case U'Ô': case U'Õ':
    case U'Ö': case U'Ø': return "o";
    case U'œ': case U'Œ': return "oe";
    case U'ù': case U'ú': case U'û': case U'ü': case U'Ù': case U'Ú': case U'Û': case U'Ü': return "u";
    case U'ý': case U'ÿ': case U'Ý': case U'Ÿ': return "y";
    case U'ß': return "ss";
    case U'’': case U'‘': case U'ʼ': return ""; // N’Diaye is found as ndiaye, n'diaye or diaye
    case U'‐': case U'‑': case U'–': case U'—': return " ";
    default: return nullptr;
    }
}

void addText(std::string& out, const Poco::JSON::Object::Ptr& o, const char* key) {
    if (o && o->has(key) && o->get(key).isString()) out += " " + o->get(key).toString();
}

Poco::JSON::Object::Ptr parseObject(const std::string& json) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        return nullptr;
    }
}

} // namespace

// A LIKE pattern matching `word` anywhere ('\' escapes % and _).
std::string containsPattern(const std::string& word) {
    std::string out = "%";
    for (char c : word) {
        if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "%";
}

std::vector<std::string> searchWords(std::string_view query) {
    std::vector<std::string> words;
    std::string folded = foldForSearch(query), w;
    for (char c : folded) {
        if (c == ' ') {
            if (!w.empty()) words.push_back(w);
            w.clear();
        } else {
            w.push_back(c);
        }
    }
    if (!w.empty()) words.push_back(w);
    return words;
}

std::string foldForSearch(std::string_view utf8) {
    if (!text::isValidUtf8(utf8)) return {};
    std::string out;
    auto blank = [&] {
        if (!out.empty() && out.back() != ' ') out.push_back(' '); // one blank between words, none leading
    };
    for (char32_t cp : text::decode(utf8)) {
        if (cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r' || cp == 0xA0 || cp == 0x202F || cp == 0x2009 ||
            cp == U'-') {
            blank();
        } else if (cp == U'\'') {
            // dropped: N'Diaye is ndiaye
        } else if (cp < 0x80) {
            out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp));
        } else if (const char* f = foldLetter(cp)) {
            if (*f == ' ') blank();
            else out += f;
        } else {
            out += text::encode(cp);
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string dossierSearchText(const Dossier& d) {
    std::string raw = d.reference;
    auto menage = parseObject(d.menageJson);
    auto logement = parseObject(d.logementJson);
    addText(raw, menage, "nom");
    addText(raw, menage, "numeroUnique");
    addText(raw, logement, "numeroUnique");
    if (menage && menage->has("membres")) {
        auto membres = menage->getArray("membres");
        for (unsigned i = 0; membres && i < membres->size(); ++i) {
            auto p = membres->getObject(i);
            addText(raw, p, "prenom");
            addText(raw, p, "nom");
        }
    }
    return foldForSearch(raw);
}

void indexDossierIn(Session& s, const Dossier& d) {
    const std::string text = dossierSearchText(d);
    std::size_t n;
    {
        Sql q(s);
        n = q.run("UPDATE dossier_index SET search_text = " + q.str(text) + " WHERE dossier_id = " + q.str(d.id));
    }
    if (n == 0) {
        Sql q(s);
        q.run("INSERT INTO dossier_index (dossier_id, association_id, search_text, referent_user_id) VALUES (" +
              q.str(d.id) + ", " + q.str(d.associationId) + ", " + q.str(text) + ", " + q.str(d.referentUserId) + ")");
    }
}

void backfillDossierIndex(Session& s) {
    std::vector<DossierRow> rows;
    {
        Sql q(s);
        q.run(std::string("SELECT ") + DOSSIER_COLUMNS_D +
                  " FROM dossiers d LEFT JOIN dossier_index x ON x.dossier_id = d.id WHERE x.dossier_id IS NULL",
              into(rows));
    }
    for (const auto& r : rows) indexDossierIn(s, toDossier(r));
}

// ---------------------------------------------------------------------------
// Users.

Result<User> PocoStore::createUser(const User& user, const AuditEvent& audit) {
    User u = user;
    if (u.id.empty()) u.id = newId("usr_");
    u.createdAt = u.updatedAt = nowIso();
    Status st = writeTransaction("createUser", [&](Session& s) {
        {
            Sql q(s);
            std::vector<std::string> taken;
            q.run("SELECT id FROM users WHERE email = " + q.str(u.email), into(taken));
            if (!taken.empty())
                return Status::failedPrecondition("user_exists", "Un compte existe déjà avec cette adresse électronique.");
        }
        Sql q(s);
        q.run("INSERT INTO users (" + std::string(USER_COLUMNS) + ") VALUES (" + q.str(u.id) + ", " +
              q.str(u.organisationId) + ", " + q.str(u.email) + ", " + q.str(u.name) + ", " + q.str(u.role) + ", " +
              q.str(u.passwordHash) + ", " + q.num(u.mustChangePassword ? 1 : 0) + ", " + q.str(u.disabledAt) + ", " +
              q.str(u.createdAt) + ", " + q.str(u.updatedAt) + ")");
        AuditEvent a = audit;
        if (a.subject.empty()) a.subject = u.id;
        appendAuditInTransaction(s, a);
        return Status::ok();
    });
    if (!st.isOk()) {
        if (st.errorCode() == "already_exists")
            return Status::failedPrecondition("user_exists", "Un compte existe déjà avec cette adresse électronique.");
        return st;
    }
    return u;
}

Result<User> PocoStore::findUser(const std::string& id) {
    Result<User> out = userNotFound();
    Status st = readSession("findUser", [&](Session& s) {
        out = userWhere(s, "id", id);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<User> PocoStore::findUserByEmail(const std::string& email) {
    Result<User> out = userNotFound();
    Status st = readSession("findUserByEmail", [&](Session& s) {
        out = userWhere(s, "email", email);
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<std::vector<User>> PocoStore::listUsers(const std::string& organisationId) {
    std::vector<User> out;
    Status st = readSession("listUsers", [&](Session& s) {
        Sql q(s);
        std::vector<UserRow> rows;
        q.run(std::string("SELECT ") + USER_COLUMNS + " FROM users WHERE organisation_id = " + q.str(organisationId) +
                  " ORDER BY name, id",
              into(rows));
        for (const auto& r : rows) out.push_back(toUser(r));
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Result<User> PocoStore::updateUser(const User& user, const AuditEvent& audit) {
    Result<User> out = userNotFound();
    Status st = writeTransaction("updateUser", [&](Session& s) {
        std::size_t n;
        {
            Sql q(s);
            n = q.run("UPDATE users SET name = " + q.str(user.name) + ", role = " + q.str(user.role) +
                      ", password_hash = " + q.str(user.passwordHash) +
                      ", must_change_password = " + q.num(user.mustChangePassword ? 1 : 0) +
                      ", disabled_at = " + q.str(user.disabledAt) + ", updated_at = " + q.str(nowIso()) +
                      " WHERE id = " + q.str(user.id));
        }
        if (n == 0) return userNotFound();
        AuditEvent a = audit;
        if (a.subject.empty()) a.subject = user.id;
        appendAuditInTransaction(s, a);
        out = userWhere(s, "id", user.id);
        return out.status();
    });
    if (!st.isOk()) return st;
    return out;
}

// ---------------------------------------------------------------------------
// Web sessions.

Status PocoStore::createWebSession(const WebSession& w) {
    return writeTransaction("createWebSession", [&](Session& s) {
        Sql q(s);
        q.run("INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at_ms, last_seen_at_ms, expires_at_ms)"
              " VALUES (" + q.str(w.tokenHash) + ", " + q.str(w.userId) + ", " + q.str(w.csrfToken) + ", " +
              q.num(w.createdAtMs) + ", " + q.num(w.lastSeenAtMs) + ", " + q.num(w.expiresAtMs) + ")");
        return Status::ok();
    });
}

Result<WebSession> PocoStore::findWebSession(const std::string& tokenHash) {
    using Row = Poco::Tuple<std::string, std::string, std::string, Int64, Int64, Int64>;
    Result<WebSession> out = Status::notFound("session_not_found", "Session inconnue.");
    Status st = readSession("findWebSession", [&](Session& s) {
        Sql q(s);
        std::vector<Row> rows;
        q.run("SELECT token_hash, user_id, csrf_token, created_at_ms, last_seen_at_ms, expires_at_ms FROM web_sessions"
              " WHERE token_hash = " + q.str(tokenHash),
              into(rows));
        if (!rows.empty()) {
            const Row& r = rows.front();
            out = WebSession{r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>()};
        }
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

Status PocoStore::touchWebSession(const std::string& tokenHash, std::int64_t lastSeenAtMs) {
    return writeTransaction("touchWebSession", [&](Session& s) {
        Sql q(s);
        q.run("UPDATE web_sessions SET last_seen_at_ms = " + q.num(lastSeenAtMs) + " WHERE token_hash = " +
              q.str(tokenHash));
        return Status::ok();
    });
}

Status PocoStore::deleteWebSession(const std::string& tokenHash) {
    return writeTransaction("deleteWebSession", [&](Session& s) {
        Sql q(s);
        q.run("DELETE FROM web_sessions WHERE token_hash = " + q.str(tokenHash));
        return Status::ok();
    });
}

Status PocoStore::deleteUserWebSessions(const std::string& userId) {
    return writeTransaction("deleteUserWebSessions", [&](Session& s) {
        Sql q(s);
        q.run("DELETE FROM web_sessions WHERE user_id = " + q.str(userId));
        return Status::ok();
    });
}

// ---------------------------------------------------------------------------
// Sign-in throttling.

Result<LoginThrottle> PocoStore::findLoginThrottle(const std::string& key) {
    using Row = Poco::Tuple<Int64, Int64, Int64>;
    LoginThrottle t;
    t.key = key;
    Status st = readSession("findLoginThrottle", [&](Session& s) {
        Sql q(s);
        std::vector<Row> rows;
        q.run("SELECT failures, last_failure_at_ms, locked_until_ms FROM login_throttle WHERE throttle_key = " +
                  q.str(key),
              into(rows));
        if (!rows.empty()) {
            t.failures = rows.front().get<0>();
            t.lastFailureAtMs = rows.front().get<1>();
            t.lockedUntilMs = rows.front().get<2>();
        }
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return t;
}

Status PocoStore::saveLoginThrottle(const LoginThrottle& t) {
    return writeTransaction("saveLoginThrottle", [&](Session& s) {
        std::size_t n;
        {
            Sql q(s);
            n = q.run("UPDATE login_throttle SET failures = " + q.num(t.failures) + ", last_failure_at_ms = " +
                      q.num(t.lastFailureAtMs) + ", locked_until_ms = " + q.num(t.lockedUntilMs) +
                      " WHERE throttle_key = " + q.str(t.key));
        }
        if (n == 0) {
            Sql q(s);
            q.run("INSERT INTO login_throttle (throttle_key, failures, last_failure_at_ms, locked_until_ms) VALUES (" +
                  q.str(t.key) + ", " + q.num(t.failures) + ", " + q.num(t.lastFailureAtMs) + ", " +
                  q.num(t.lockedUntilMs) + ")");
        }
        return Status::ok();
    });
}

Status PocoStore::clearLoginThrottle(const std::string& key) {
    return writeTransaction("clearLoginThrottle", [&](Session& s) {
        Sql q(s);
        q.run("DELETE FROM login_throttle WHERE throttle_key = " + q.str(key));
        return Status::ok();
    });
}

// ---------------------------------------------------------------------------
// Dossier search and référent.

Result<Page<Dossier>> PocoStore::searchDossiers(const DossierSearch& query) {
    Page<Dossier> page;
    // Every word of the query must appear in the folded search text.
    const std::vector<std::string> words = searchWords(query.search);
    auto where = [&](Sql& q) {
        std::string w = " FROM dossiers d LEFT JOIN dossier_index x ON x.dossier_id = d.id WHERE d.association_id = " +
                        q.str(query.associationId);
        if (!query.statut.empty()) w += " AND d.statut = " + q.str(query.statut);
        if (!query.referentUserId.empty()) w += " AND x.referent_user_id = " + q.str(query.referentUserId);
        for (const auto& word : words) w += " AND x.search_text LIKE " + q.str(containsPattern(word)) + " ESCAPE '\\'";
        return w;
    };
    Status st = readSession("searchDossiers", [&](Session& s) {
        {
            Sql q(s);
            Int64 total = 0;
            q.run("SELECT COUNT(*)" + where(q), into(total));
            page.total = total;
        }
        Sql q(s);
        std::string sql = std::string("SELECT ") + DOSSIER_COLUMNS_D + where(q) + " ORDER BY d.created_at DESC, d.id DESC";
        sql += " LIMIT " + q.num(std::clamp(query.limit, 1, 500));
        sql += " OFFSET " + q.num(std::max(0, query.offset));
        std::vector<DossierRow> rows;
        q.run(sql, into(rows));
        for (const auto& r : rows) page.items.push_back(toDossier(r));
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return page;
}

Status PocoStore::setDossierReferent(const std::string& dossierId, const std::string& userId) {
    return writeTransaction("setDossierReferent", [&](Session& s) {
        std::size_t n;
        {
            Sql q(s);
            n = q.run("UPDATE dossier_index SET referent_user_id = " + q.str(userId) + " WHERE dossier_id = " +
                      q.str(dossierId));
        }
        if (n == 0) return Status::notFound("dossier_not_found", "Dossier introuvable : " + dossierId);
        return Status::ok();
    });
}

Result<std::string> PocoStore::dossierReferent(const std::string& dossierId) {
    std::string out;
    Status st = readSession("dossierReferent", [&](Session& s) {
        Sql q(s);
        std::vector<std::string> rows;
        q.run("SELECT referent_user_id FROM dossier_index WHERE dossier_id = " + q.str(dossierId), into(rows));
        if (!rows.empty()) out = rows.front();
        return Status::ok();
    });
    if (!st.isOk()) return st;
    return out;
}

} // namespace passerelle::storage
