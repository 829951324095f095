#pragma once
// The real executable in the api suites: a `passerelle serve` child process on a
// free port, and a fixture that runs `passerelle admin` on the test database
// (SQLite: --data-dir, PostgreSQL: --db when PASSERELLE_TEST_PG is set).
// Header-only: PASSERELLE_BINARY is defined per test executable.
#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "api/ApiFixture.h"
#include "storage/ApiKeys.h"

namespace passerelle::testing {

inline unsigned short freePort() {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    unsigned short p = s.address().port();
    s.close();
    return p;
}

// A `passerelle serve` child process: stop() asks it to end (SIGINT, as Ctrl-C; also
// the destructor), kill() ends it with SIGKILL (no shutdown code runs).
class ServeProcess {
public:
    explicit ServeProcess(const std::vector<std::string>& dbArgs) : _port(freePort()) {
        std::vector<std::string> args = {"serve", "--port", std::to_string(_port)};
        args.insert(args.end(), dbArgs.begin(), dbArgs.end());
        _handle = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch(PASSERELLE_BINARY, args, nullptr, &_out, nullptr));
        for (int i = 0; i < 200; ++i) {
            try {
                if (httpCall(_port, "GET", "/healthz", "").status == 200) return;
            } catch (...) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        kill();
        throw std::runtime_error("passerelle serve did not start on port " + std::to_string(_port));
    }
    ~ServeProcess() { stop(); }
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    // Returns what the process printed.
    std::string stop() {
        if (!_handle) return _output;
        Poco::Process::requestTermination(_handle->id());
        return finish();
    }
    std::string kill() {
        if (!_handle) return _output;
        Poco::Process::kill(*_handle);
        return finish();
    }
    unsigned short port() const { return _port; }
    HttpResult call(const std::string& method, const std::string& path, const std::string& key, const std::string& body = "") {
        return httpCall(_port, method, path, key, body);
    }

private:
    std::string finish() {
        _handle->wait();
        _handle.reset();
        Poco::PipeInputStream in(_out);
        Poco::StreamCopier::copyToString(in, _output);
        return _output;
    }
    unsigned short _port;
    Poco::Pipe _out;
    std::unique_ptr<Poco::ProcessHandle> _handle;
    std::string _output;
};

// A test on each backend (storeBackends()) with the database arguments of the executable.
class ProcessTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db = std::make_unique<TestDatabase>(GetParam());
        if (!db->available()) GTEST_SKIP() << db->skipReason();
        if (GetParam() == "sqlite") dbArgs = {"--data-dir", db->dir() + "/var"};
        else dbArgs = {"--db", db->url(), "--data-dir", db->dir() + "/var"}; // keys, checkpoints, seal: never the source tree's var/
    }

    // `passerelle admin <args> <dbArgs>`
    CommandResult admin(std::vector<std::string> args) {
        args.insert(args.begin(), {PASSERELLE_BINARY, "admin"});
        args.insert(args.end(), dbArgs.begin(), dbArgs.end());
        return run(args);
    }

    // The key printed by `admin create-key` (its own line, shown once); "" when none.
    static std::string keyIn(const std::string& out) {
        std::istringstream in(out);
        std::string line;
        while (std::getline(in, line))
            if (storage::looksLikeApiKey(line)) return line;
        return "";
    }

    std::unique_ptr<TestDatabase> db;
    std::vector<std::string> dbArgs;
};

} // namespace passerelle::testing
