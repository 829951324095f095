// Every example, mutated with hostile values (deterministic seed), through RenderService::render
// in every format its form offers. The outcome is a document (a sample passes qpdf --check) or
// InvalidArgument naming fields by JSON pointers that exist in the input (or a missing required
// field) — never Internal, never a crash, never a hang.
#include <gtest/gtest.h>

#include <chrono>

#include "forms/FormRegistry.h"
#include "robustness/FuzzSupport.h"
#include "service/RenderService.h"
#include "support/TestSupport.h"

using namespace passerelle;
using namespace passerelle::testing;

namespace {

constexpr int kMutantsPerExample = 36;
constexpr double kMaxSecondsPerRender = 5.0;

struct Tally {
    int ok = 0, invalid = 0, unparsable = 0, qpdfChecked = 0;
};

// Checks one outcome; returns a failure description or "".
std::string checkOutcome(const Result<service::Rendered>& r, const Poco::JSON::Object::Ptr& input, Tally& tally,
                         bool qpdfSample) {
    if (r.isOk()) {
        ++tally.ok;
        if (r.value().bytes.empty()) return "OK with no bytes";
        if (qpdfSample && r.value().contentType == "application/pdf") {
            std::string out;
            ++tally.qpdfChecked;
            if (!qpdfCheck(r.value().bytes, &out)) return "qpdf --check failed: " + out;
        }
        return "";
    }
    const Status& s = r.status();
    if (s.code() != Status::Code::InvalidArgument) return "status " + s.toString();
    ++tally.invalid;
    if (s.message().empty()) return "empty message";
    if (s.details().empty()) return "InvalidArgument without details: " + s.toString();
    for (const auto& d : s.details()) {
        if (d.rule.empty() || d.message.empty()) return "detail without rule or message at " + d.path;
        if (!isJsonPointer(d.path)) return "not a JSON pointer: " + d.path;
        bool parentIsObject = false;
        bool exists = resolvesIn(input, d.path, &parentIsObject);
        if (!exists && !(d.rule == "required" && parentIsObject))
            return "path " + d.path + " (" + d.rule + ") does not exist in the input";
    }
    return "";
}

} // namespace

TEST(RenderFuzz, MutatedExamplesAreRenderedOrRefusedWithFieldPaths) {
    service::RenderService renderer(repoCatalog());
    auto examples = exampleFiles();
    ASSERT_GE(examples.size(), 14u);
    Tally tally;
    int failures = 0;
    for (const auto& ex : examples) {
        ASSERT_FALSE(ex.form.empty()) << ex.name;
        auto def = repoCatalog().forms->find(ex.form);
        const std::string original = readFile(ex.file);
        Prng rng(0x5EED0000ULL + std::hash<std::string>{}(ex.name) % 1000); // per-example, stable
        std::vector<std::string> formats;
        for (const char* f : {"pdf", "xlsx"}) if (def->supportsFormat(f)) formats.push_back(f);
        for (int i = 0; i < kMutantsPerExample; ++i) {
            Mutant m = mutate(original, rng);
            std::string label = ex.name + " #" + std::to_string(i) + ":";
            for (const auto& a : m.applied) label += " [" + a + "]";
            // The same parse the HTTP adapter and the CLI use.
            auto parsed = forms::parseJsonObject(m.json);
            if (!parsed.isOk()) {
                ++tally.unparsable;
                EXPECT_EQ(parsed.status().code(), Status::Code::InvalidArgument) << label;
                EXPECT_FALSE(parsed.status().message().empty()) << label;
                continue;
            }
            for (const auto& format : formats) {
                service::RenderRequest req;
                req.form = ex.form;
                req.format = format;
                req.data = parsed.value();
                if (format == "pdf" && def->variants.size() > 1) req.variant = def->variants[rng.below(def->variants.size())].name;
                auto t0 = std::chrono::steady_clock::now();
                auto r = renderer.render(req);
                double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                EXPECT_LT(secs, kMaxSecondsPerRender) << label << " " << format;
                std::string failure = checkOutcome(r, parsed.value(), tally, /*qpdfSample=*/i % 3 == 0);
                if (!failure.empty()) {
                    ++failures;
                    ADD_FAILURE() << label << " " << format << ": " << failure;
                }
            }
        }
    }
    std::cout << "[fuzz] ok=" << tally.ok << " invalid=" << tally.invalid << " unparsable=" << tally.unparsable
              << " qpdf=" << tally.qpdfChecked << std::endl;
    // The mutations must exercise both outcomes, or the test proves little.
    EXPECT_GT(tally.ok, 20);
    EXPECT_GT(tally.invalid, 200);
    EXPECT_EQ(failures, 0);
}
