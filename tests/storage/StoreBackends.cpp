#include "storage/StoreBackends.h"

#include <cstdlib>
#include <stdexcept>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/RandomStream.h>
#include <Poco/DigestEngine.h>

#include <gtest/gtest.h>

namespace passerelle::testing {

namespace {
const char* pgUrl() {
    const char* v = std::getenv("PASSERELLE_TEST_PG");
    return v && *v ? v : nullptr;
}

std::string randomSuffix() {
    Poco::RandomInputStream rnd;
    unsigned char raw[6];
    rnd.read(reinterpret_cast<char*>(raw), sizeof raw);
    std::vector<unsigned char> v(raw, raw + sizeof raw);
    return Poco::DigestEngine::digestToHex(v);
}

void registerConnectors() {
    static bool done = [] {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::PostgreSQL::Connector::registerConnector();
        return true;
    }();
    (void)done;
}
} // namespace

std::vector<std::string> storeBackends() { return {"sqlite", "postgresql"}; }
std::string backendName(const std::string& backend) { return backend == "sqlite" ? "SQLite" : "PostgreSQL"; }

TestDatabase::TestDatabase(const std::string& backend) : _backend(backend) {
    registerConnectors();
    if (backend == "sqlite") {
        _url = "sqlite:" + _dir.file("passerelle.db");
    } else {
        const char* base = pgUrl();
        if (!base) {
            _skipReason = "PASSERELLE_TEST_PG n'est pas défini : suite PostgreSQL ignorée (scripts/pg-test-server start).";
            return;
        }
        _schema = "t_" + randomSuffix();
        auto admin = storage::parseDatabaseUrl(base);
        if (!admin.isOk()) throw std::runtime_error(admin.status().toString());
        Poco::Data::Session s("postgresql", admin.value().connectionString);
        s << "CREATE SCHEMA " + _schema, Poco::Data::Keywords::now;
        std::string b = base;
        _url = b + (b.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + _schema;
    }
    auto c = storage::parseDatabaseUrl(_url);
    if (!c.isOk()) throw std::runtime_error(c.status().toString());
    _config = c.value();
}

TestDatabase::~TestDatabase() {
    if (_schema.empty()) return;
    try {
        auto admin = storage::parseDatabaseUrl(pgUrl());
        Poco::Data::Session s("postgresql", admin.value().connectionString);
        s << "SET client_min_messages TO warning", Poco::Data::Keywords::now;
        s << "DROP SCHEMA " + _schema + " CASCADE", Poco::Data::Keywords::now;
    } catch (...) {
    }
}

std::shared_ptr<storage::PocoStore> TestDatabase::open() const {
    auto r = storage::PocoStore::open(_config);
    if (!r.isOk()) throw std::runtime_error("open " + _url + ": " + r.status().toString());
    return r.value();
}

void TestDatabase::execute(const std::string& sql) const {
    Poco::Data::Session s(_config.connector, _config.connectionString);
    s << sql, Poco::Data::Keywords::now;
}

} // namespace passerelle::testing
