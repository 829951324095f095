// Producing and sealing a signed PDF (issue 10), in memory:
//   build/bench/bench_sign [--benchmark_filter=...]
// BM_SignedPdf: the whole path for a contrat d'objectifs with three drawn
// signatures — compose, render with embedded fonts, images, certificate page,
// PDF/A pass (qpdf), PAdES seal (RSA 2048). BM_SealOnly: the incremental
// update and CMS signature alone. BM_Verify: verification of the sealed file.
// Run from the repository root (it loads forms/, templates/, fonts/, examples/).
#include <benchmark/benchmark.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <png.h>

#include "forms/FormRegistry.h"
#include "service/RenderService.h"
#include "sign/PdfA.h"
#include "sign/PdfSeal.h"
#include "sign/SignedDocument.h"

using namespace passerelle;

namespace {

std::string root() {
    const char* env = std::getenv("PASSERELLE_SOURCE_DIR");
    return env ? env : PASSERELLE_SOURCE_DIR;
}

std::string png(int seed) {
    const int w = 300, h = 100;
    std::string rgba(static_cast<std::size_t>(w * h * 4), '\0');
    for (int x = 0; x < w; ++x) {
        int y = static_cast<int>(h / 2.0 + (h / 3.0) * std::sin((x + seed * 17) / 23.0));
        std::size_t i = static_cast<std::size_t>((y * w + x) * 4);
        rgba[i + 2] = static_cast<char>(0x80);
        rgba[i + 3] = static_cast<char>(0xFF);
    }
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = w;
    image.height = h;
    image.format = PNG_FORMAT_RGBA;
    png_alloc_size_t size = 0;
    png_image_write_to_memory(&image, nullptr, &size, 0, rgba.data(), 0, nullptr);
    std::string out(size, '\0');
    png_image_write_to_memory(&image, out.data(), &size, 0, rgba.data(), 0, nullptr);
    out.resize(size);
    return out;
}

struct World {
    service::Catalog catalog;
    forms::FilledForm filled;
    std::shared_ptr<const templates::TemplateDef> tpl;
    std::shared_ptr<const sign::SealKey> key;
    sign::SignedPdfInput input;
    std::string sealed;

    World() {
        catalog = service::Catalog::load(root() + "/forms", root() + "/templates", root() + "/fonts").value();
        service::RenderService svc(catalog);
        std::ifstream in(root() + "/examples/contrat-objectifs-amli-acces.json");
        std::stringstream buf;
        buf << in.rdbuf();
        filled = svc.validate("contrat-objectifs", forms::parseJsonObject(buf.str()).value()).value();
        tpl = catalog.templates->find("contrat-objectifs", "standard");
        key = sign::SealKey::development("/tmp/passerelle-bench-seal").value();
        auto plan = sign::planSignatories(*filled.form, filled.data).value();
        input.tpl = tpl.get();
        input.filled = &filled;
        input.documentId = "doc_0123456789abcdef";
        input.revision = 1;
        input.revisionSha256 = std::string(64, 'a');
        input.revisionDate = "01/12/2026";
        input.signingId = "sgn_0123456789abcdef";
        input.sealedAt = 1796160000;
        input.fontsDir = root() + "/fonts";
        int n = 0;
        for (const auto& p : plan) {
            sign::SignatureRecord r;
            r.signatory = p;
            r.method = p.party == "bailleur" ? "account" : "in_person";
            r.witness = "Claire Lefèvre";
            r.signedAt = input.sealedAt - 60 * (5 - n);
            r.imagePng = png(++n);
            r.ip = "192.0.2.1";
            r.userAgent = "Mozilla/5.0";
            input.signatures.push_back(r);
        }
        sealed = sign::buildSignedPdf(input, *key).value().bytes;
    }
};

World& world() {
    static World w;
    return w;
}

void BM_SignedPdf(benchmark::State& state) {
    World& w = world();
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto pdf = sign::buildSignedPdf(w.input, *w.key);
        if (!pdf.isOk()) state.SkipWithError(pdf.status().toString().c_str());
        bytes = pdf.value().bytes.size();
        benchmark::DoNotOptimize(bytes);
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignedPdf)->Unit(benchmark::kMillisecond);

void BM_SealOnly(benchmark::State& state) {
    World& w = world();
    // An unsealed PDF/A to seal: the sealed file cut at its update.
    const std::string& s = w.sealed;
    std::size_t cut = s.rfind("%%EOF", s.rfind("%%EOF") - 1);
    std::string pdfa = s.substr(0, cut + 6);
    sign::SealInfo info{"{}", "bench", "D:20261201000000+00'00'"};
    for (auto _ : state) {
        auto out = sign::sealPdf(pdfa, *w.key, info);
        if (!out.isOk()) state.SkipWithError(out.status().toString().c_str());
        benchmark::DoNotOptimize(out.value());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SealOnly)->Unit(benchmark::kMillisecond);

void BM_Verify(benchmark::State& state) {
    World& w = world();
    for (auto _ : state) {
        auto r = sign::verifyPdf(w.sealed, w.key.get());
        if (!r.intact()) state.SkipWithError("not intact");
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Verify)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
