#include "mail/SmtpSink.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>

namespace passerelle::testing {

std::string SinkMessage::body() const {
    std::string b = info->getValue<std::string>("body"), out;
    for (char c : b)
        if (c != '\r') out.push_back(c);
    return out;
}

std::string SinkMessage::rcpt() const {
    auto a = info->getArray("rcpt_tos");
    return a && a->size() ? a->getElement<std::string>(0) : "";
}

std::string SinkMessage::header(const std::string& name) const {
    auto h = info->getArray("headers");
    for (unsigned i = 0; h && i < h->size(); ++i) {
        auto pair = h->getArray(i);
        if (Poco::icompare(pair->getElement<std::string>(0), name) == 0) return pair->getElement<std::string>(1);
    }
    return "";
}

std::string SinkMessage::allHeaders() const {
    std::string out;
    auto h = info->getArray("headers");
    for (unsigned i = 0; h && i < h->size(); ++i) {
        auto pair = h->getArray(i);
        out += pair->getElement<std::string>(0) + ": " + pair->getElement<std::string>(1) + "\n";
    }
    return out;
}

SmtpSink::SmtpSink(const std::vector<std::string>& extraArgs) {
    _out = _dir.file("messages");
    std::vector<std::string> args{sourceDir() + "/tests/support/smtp_sink.py", "--out", _out};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    Poco::Pipe outPipe;
    _handle = new Poco::ProcessHandle(Poco::Process::launch("/usr/bin/python3", args, nullptr, &outPipe, nullptr));
    Poco::PipeInputStream in(outPipe);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("PORT ", 0) == 0) {
            _port = static_cast<unsigned short>(std::stoi(line.substr(5)));
            break;
        }
    }
    if (_port == 0) throw std::runtime_error("the SMTP sink did not start (python3-aiosmtpd installed?)");
}

SmtpSink::~SmtpSink() {
    if (_handle) {
        try {
            Poco::Process::requestTermination(_handle->id());
            _handle->wait();
        } catch (...) {
        }
        delete _handle;
    }
}

std::vector<SinkMessage> SmtpSink::messages() const {
    std::vector<std::string> names;
    if (Poco::File(_out).exists())
        for (Poco::DirectoryIterator it(_out), end; it != end; ++it)
            if (it.name().size() > 5 && it.name().substr(it.name().size() - 5) == ".json") names.push_back(it.name());
    std::sort(names.begin(), names.end());
    std::vector<SinkMessage> out;
    for (const auto& n : names) {
        SinkMessage m;
        m.info = Poco::JSON::Parser().parse(readFile(_out + "/" + n)).extract<Poco::JSON::Object::Ptr>();
        m.raw = readFile(_out + "/" + n.substr(0, n.size() - 5) + ".eml");
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<SinkMessage> SmtpSink::waitFor(std::size_t n, int timeoutMs) const {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        auto m = messages();
        if (m.size() >= n || std::chrono::steady_clock::now() > until) return m;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

int SmtpSink::refusedCount() const {
    const std::string f = _out + "/refused.count";
    return Poco::File(f).exists() ? std::stoi(readFile(f)) : 0;
}

TestCertificate::TestCertificate(const std::string& dir) : cert(dir + "/relay.pem"), key(dir + "/relay.key") {
    auto r = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                  "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"});
    if (r.exitCode != 0) throw std::runtime_error("openssl req failed: " + r.err);
}

} // namespace passerelle::testing
