// Rendering the fiche navette in memory: validation + composition + layout + PDF.
//   build/bench/bench_pdf [--benchmark_filter=...]
// Reports documents/second (items_per_second) and the PDF size (bytes counter).
// Run from the repository root (it loads forms/, templates/, fonts/, examples/).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <fstream>
#include <sstream>

#include "forms/FormRegistry.h"
#include "service/RenderService.h"

using namespace passerelle;

namespace {

std::string root() {
    const char* env = std::getenv("PASSERELLE_SOURCE_DIR");
    return env ? env : PASSERELLE_SOURCE_DIR;
}

const service::RenderService& renderer() {
    static service::RenderService svc = [] {
        auto c = service::Catalog::load(root() + "/forms", root() + "/templates", root() + "/fonts");
        if (!c.isOk()) throw std::runtime_error(c.status().toString());
        return service::RenderService(c.value());
    }();
    return svc;
}

Poco::JSON::Object::Ptr example(const std::string& name) {
    std::ifstream in(root() + "/examples/" + name);
    std::stringstream buf;
    buf << in.rdbuf();
    return forms::parseJsonObject(buf.str()).value();
}

void renderLoop(benchmark::State& state, const Poco::JSON::Object::Ptr& data) {
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = data;
    req.documentId = "FN-BENCH";
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto r = renderer().render(req);
        if (!r.isOk()) { state.SkipWithError(r.status().toString().c_str()); return; }
        bytes = r.value().bytes.size();
        benchmark::DoNotOptimize(r.value().bytes.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_FicheNavette_Cp1252(benchmark::State& state) {
    renderLoop(state, example("fiche-navette-association-vers-bailleur.json"));
}

void BM_FicheNavette_NonCp1252Name(benchmark::State& state) {
    auto data = example("fiche-navette-association-vers-bailleur.json");
    data->getObject("menage")->getArray("composition")->getObject(0)->set("nom", "Nguyễn");
    renderLoop(state, data);
}

void BM_FicheNavette_6000CharComment(benchmark::State& state) {
    auto data = example("fiche-navette-association-vers-bailleur.json");
    std::string comment;
    for (int i = 0; comment.size() < 6000; ++i) comment += "observation " + std::to_string(i) + " du referent, ";
    comment.resize(5990);
    data->set("observations", comment);
    renderLoop(state, data);
}

} // namespace

BENCHMARK(BM_FicheNavette_Cp1252)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_NonCp1252Name)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_6000CharComment)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
    // Same allocator settings as the server (src/app/Main.cpp); PASSERELLE_BENCH_DEFAULT_MALLOC=1 to compare.
    if (!std::getenv("PASSERELLE_BENCH_DEFAULT_MALLOC")) {
        mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
        mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
