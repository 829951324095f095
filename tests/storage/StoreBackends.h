#pragma once
// The databases the storage-dependent suites run on: SQLite always (a file in
// a temporary directory) and PostgreSQL when PASSERELLE_TEST_PG holds a
// connection string (scripts/pg-test-server start prints one). Each test gets
// an empty database: a fresh SQLite file, or a fresh PostgreSQL schema
// (search_path) dropped at the end.
#include <memory>
#include <string>
#include <vector>

#include "storage/PocoStore.h"
#include "support/TestSupport.h"

namespace passerelle::testing {

// "sqlite" always, then "postgresql" (even when unset: such tests skip with a message).
std::vector<std::string> storeBackends();
// gtest parameter name printer.
std::string backendName(const std::string& backend);

class TestDatabase {
public:
    // Creates an empty database for `backend`; `skipReason` is set when it cannot run here.
    explicit TestDatabase(const std::string& backend);
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    bool available() const { return _skipReason.empty(); }
    const std::string& skipReason() const { return _skipReason; }
    const std::string& backend() const { return _backend; }
    // The configuration opening this database (each call may open a new store instance).
    storage::StoreConfig config() const { return _config; }
    // The URL form accepted by `passerelle serve --db` and `admin --db`.
    const std::string& url() const { return _url; }
    // Opens a new PocoStore instance; fails the test on error.
    std::shared_ptr<storage::PocoStore> open() const;
    // Runs raw SQL on the database (tests only: e.g. fake a newer schema).
    void execute(const std::string& sql) const;
    const std::string& dir() const { return _dir.path(); }

private:
    std::string _backend;
    std::string _skipReason;
    std::string _schema; // PostgreSQL only
    std::string _url;
    storage::StoreConfig _config;
    TempDir _dir;
};

} // namespace passerelle::testing
