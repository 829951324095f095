// Rendering the fiche navette in memory, stage by stage, against the libharu floor.
//   build/bench/bench_pdf [--benchmark_filter=...] [--benchmark_repetitions=5]
//   build/bench/bench_pdf --memory            peak memory of a 7 500-row document (fresh process)
//   build/bench/bench_pdf --dump-layout FILE  the laid-out pages of the non-CP1252 fiche as JSON,
//                                             for bench/reportlab_compare.py
//   bench/instructions.sh [N]                 instructions per document of each case (callgrind,
//                                             not disturbed by the machine's load): runs
//                                             `bench_pdf --instructions N` under valgrind
// Reports documents/second (items_per_second) and the PDF size (bytes counter).
// Run from the repository root (it loads forms/, templates/, fonts/, examples/).
//
// Stages, each timed alone on the same input, so that the overhead of each is visible in one run:
//   Stage1_Fill       validation (+ derivations) of the input JSON
//   Stage2_Compose    template → layout blocks
//   Stage3_Layout     measuring and paginating with libharu's metrics (pdf::layOut)
//   Stage4_Draw       layout and drawing together, as the real path does (pdf::render), content
//                     streams at zlib level 1 (the default); _Level6 at libharu's level
//   Floor_RawLibharu  the already laid-out pages drawn straight through libharu (strings already
//                     in Windows-1252, no validation, composition or layout): the floor
//   FicheNavette_*    the whole use case (RenderService::render)
#include <benchmark/benchmark.h>
#include <hpdf.h>
#include <malloc.h>
#include <valgrind/callgrind.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include "common/Text.h"
#include "forms/FormRegistry.h"
#include "pdf/FontSubset.h"
#include "pdf/PdfRenderer.h"
#include "service/RenderService.h"
#include "templates/Template.h"

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

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

Poco::JSON::Object::Ptr example(const std::string& name) {
    return forms::parseJsonObject(readFile(root() + "/examples/" + name)).value();
}

Poco::JSON::Object::Ptr ficheWithName(const std::string& nom) {
    auto data = example("fiche-navette-association-vers-bailleur.json");
    if (!nom.empty()) data->getObject("menage")->getArray("composition")->getObject(0)->set("nom", nom);
    return data;
}

void renderLoop(benchmark::State& state, const Poco::JSON::Object::Ptr& data, bool embedAll = false) {
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = data;
    req.documentId = "FN-BENCH";
    req.embedAllFonts = embedAll;
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

// What POST /v1/render/fiche-navette does in process: the request body parsed, the document id
// computed from it, the PDF rendered. bench/http_load.sh compares the HTTP rate with this one.
void BM_FicheNavette_FromRequestBody(benchmark::State& state) {
    const std::string body = readFile(root() + "/examples/fiche-navette-association-vers-bailleur.json");
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto json = forms::parseJsonObject(body);
        if (!json.isOk()) { state.SkipWithError(json.status().toString().c_str()); return; }
        service::RenderRequest req;
        req.form = "fiche-navette";
        req.format = "pdf";
        req.data = json.value();
        auto r = renderer().render(req);
        if (!r.isOk()) { state.SkipWithError(r.status().toString().c_str()); return; }
        bytes = r.value().bytes.size();
        benchmark::DoNotOptimize(r.value().bytes.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes"] = static_cast<double>(bytes);
}

// ---- stages -------------------------------------------------------------------------------------
struct Prepared {
    forms::FilledForm filled;
    templates::Composed composed;
    pdf::PdfOptions options;
    layout::Document laid;
};

Prepared prepare(const Poco::JSON::Object::Ptr& data) {
    const auto& catalog = renderer().catalog();
    auto def = catalog.forms->find("fiche-navette");
    Prepared p{forms::fill(def, data).value(), {}, {}, {}};
    auto tpl = catalog.templates->find("fiche-navette", def->variants.front().name);
    p.composed = templates::compose(*tpl, p.filled, templates::ComposeOptions{"FN-BENCH", "22/11/2026", {}});
    p.options.fontsDir = catalog.fontsDir;
    p.options.title = def->title;
    p.options.subject = "FN-BENCH";
    p.laid = pdf::layOut(p.composed.blocks, p.composed.setup, p.options).value();
    return p;
}

void BM_Stage1_Fill(benchmark::State& state) {
    auto data = ficheWithName("");
    auto def = renderer().catalog().forms->find("fiche-navette");
    for (auto _ : state) {
        auto f = forms::fill(def, data);
        benchmark::DoNotOptimize(f.isOk());
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_Stage2_Compose(benchmark::State& state) {
    Prepared p = prepare(ficheWithName(""));
    auto tpl = renderer().catalog().templates->find("fiche-navette", "standard");
    for (auto _ : state) {
        auto c = templates::compose(*tpl, p.filled, templates::ComposeOptions{"FN-BENCH", "22/11/2026", {}});
        benchmark::DoNotOptimize(c.blocks.data());
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_Stage3_Layout(benchmark::State& state) {
    Prepared p = prepare(ficheWithName(""));
    for (auto _ : state) {
        auto laid = pdf::layOut(p.composed.blocks, p.composed.setup, p.options);
        benchmark::DoNotOptimize(laid.isOk());
    }
    state.SetItemsProcessed(state.iterations());
}

// Layout and drawing of the composed blocks (pdf::render), the pages' content streams deflated at
// PdfOptions::contentDeflateLevel: 1 (the default) and 6 (libharu's level, the floor's), so that
// what the level is worth shows in one run.
void drawAtLevel(benchmark::State& state, int level) {
    Prepared p = prepare(ficheWithName(""));
    p.options.contentDeflateLevel = level;
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto r = pdf::render(p.composed.blocks, p.composed.setup, p.options);
        if (!r.isOk()) { state.SkipWithError(r.status().toString().c_str()); return; }
        bytes = r.value().bytes.size();
        benchmark::DoNotOptimize(r.value().bytes.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes"] = static_cast<double>(bytes);
}
void BM_Stage4_Draw(benchmark::State& state) { drawAtLevel(state, 1); }
void BM_Stage4_Draw_Level6(benchmark::State& state) { drawAtLevel(state, 6); }

// The floor: the same pages, already laid out, strings already converted, drawn with the same
// libharu calls (fills, strokes, one text object per page) and the same libharu settings as the real
// path (compression of every stream, base-14 Helvetica in WinAnsiEncoding), compressed and read out
// of memory.
struct Floor {
    Prepared p;
    std::vector<std::vector<std::string>> cp1252;
    explicit Floor(const Poco::JSON::Object::Ptr& data) : p(prepare(data)), cp1252(p.laid.pages.size()) {
        for (std::size_t i = 0; i < p.laid.pages.size(); ++i)
            for (const auto& it : p.laid.pages[i].items) cp1252[i].push_back(text::utf8ToCp1252(it.text));
    }
    // One document; its size in bytes. `lean`: the font and the gray are set only when they change,
    // as the real path does (the floor as the issue defines it sets both before every line).
    std::size_t draw(bool lean = false) const {
        const double H = p.composed.setup.height;
        HPDF_Doc d = HPDF_New(nullptr, nullptr);
        HPDF_SetCompressionMode(d, HPDF_COMP_ALL);
        HPDF_Font fonts[2] = {HPDF_GetFont(d, "Helvetica", "WinAnsiEncoding"), HPDF_GetFont(d, "Helvetica-Bold", "WinAnsiEncoding")};
        for (std::size_t i = 0; i < p.laid.pages.size(); ++i) {
            HPDF_Page page = HPDF_AddPage(d);
            HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(p.composed.setup.width));
            HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(H));
            for (const auto& it : p.laid.pages[i].items)
                if (it.kind == layout::Item::Kind::FilledBox) {
                    HPDF_Page_SetGrayFill(page, static_cast<HPDF_REAL>(it.gray));
                    HPDF_Page_Rectangle(page, it.x, H - it.y - it.h, it.w, it.h);
                    HPDF_Page_Fill(page);
                }
            HPDF_Page_SetLineWidth(page, 0.5);
            for (const auto& it : p.laid.pages[i].items) {
                if (it.kind == layout::Item::Kind::Line) {
                    HPDF_Page_SetGrayStroke(page, static_cast<HPDF_REAL>(it.gray));
                    HPDF_Page_MoveTo(page, it.x, H - it.y);
                    HPDF_Page_LineTo(page, it.x + it.w, H - it.y - it.h);
                    HPDF_Page_Stroke(page);
                } else if (it.kind == layout::Item::Kind::Box) {
                    HPDF_Page_SetGrayStroke(page, static_cast<HPDF_REAL>(it.gray));
                    HPDF_Page_Rectangle(page, it.x, H - it.y - it.h, it.w, it.h);
                    HPDF_Page_Stroke(page);
                }
            }
            HPDF_Page_BeginText(page);
            HPDF_Font currentFont = nullptr;
            double currentSize = 0, currentGray = -1;
            for (std::size_t k = 0; k < p.laid.pages[i].items.size(); ++k) {
                const auto& it = p.laid.pages[i].items[k];
                if (it.kind != layout::Item::Kind::Text || it.text.empty()) continue;
                HPDF_Font f = fonts[it.font == layout::Font::Bold ? 1 : 0];
                if (!lean || f != currentFont || it.size != currentSize)
                    HPDF_Page_SetFontAndSize(page, f, static_cast<HPDF_REAL>(it.size));
                if (!lean || it.gray != currentGray) HPDF_Page_SetGrayFill(page, static_cast<HPDF_REAL>(it.gray));
                currentFont = f;
                currentSize = it.size;
                currentGray = it.gray;
                HPDF_Page_TextOut(page, it.x, H - it.y, cp1252[i][k].c_str());
            }
            HPDF_Page_EndText(page);
        }
        HPDF_SaveToStream(d);
        std::string out(HPDF_GetStreamSize(d), '\0');
        HPDF_UINT32 n = static_cast<HPDF_UINT32>(out.size());
        HPDF_ReadFromStream(d, reinterpret_cast<HPDF_BYTE*>(out.data()), &n);
        benchmark::DoNotOptimize(out.data());
        HPDF_Free(d);
        return out.size();
    }
};

void BM_Floor_RawLibharu_Cp1252(benchmark::State& state) {
    Floor floor(ficheWithName(""));
    std::size_t bytes = 0;
    for (auto _ : state) bytes = floor.draw();
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes"] = static_cast<double>(bytes);
}

// The embedded-font path as it was: the whole Liberation Sans loaded by libharu for each document
// (for reference: what the subset path replaces). Same pages, the name drawn in UTF-8.
void BM_Floor_RawLibharu_WholeTTFPerDocument(benchmark::State& state) {
    Prepared p = prepare(ficheWithName("Nguyễn"));
    const double H = p.composed.setup.height;
    const std::string regular = p.options.fontsDir + "/LiberationSans-Regular.ttf";
    std::size_t bytes = 0;
    for (auto _ : state) {
        HPDF_Doc d = HPDF_New(nullptr, nullptr);
        HPDF_SetCompressionMode(d, HPDF_COMP_ALL);
        HPDF_UseUTFEncodings(d);
        HPDF_Font fonts[2] = {HPDF_GetFont(d, "Helvetica", "WinAnsiEncoding"), HPDF_GetFont(d, "Helvetica-Bold", "WinAnsiEncoding")};
        HPDF_Font ttf = HPDF_GetFont(d, HPDF_LoadTTFontFromFile(d, regular.c_str(), HPDF_TRUE), "UTF-8");
        for (const auto& pg : p.laid.pages) {
            HPDF_Page page = HPDF_AddPage(d);
            HPDF_Page_SetWidth(page, static_cast<HPDF_REAL>(p.composed.setup.width));
            HPDF_Page_SetHeight(page, static_cast<HPDF_REAL>(H));
            HPDF_Page_BeginText(page);
            for (const auto& it : pg.items) {
                if (it.kind != layout::Item::Kind::Text || it.text.empty()) continue;
                bool unicode = !text::fitsCp1252(it.text);
                HPDF_Page_SetFontAndSize(page, unicode ? ttf : fonts[it.font == layout::Font::Bold ? 1 : 0], static_cast<HPDF_REAL>(it.size));
                HPDF_Page_TextOut(page, it.x, H - it.y, unicode ? it.text.c_str() : text::utf8ToCp1252(it.text).c_str());
            }
            HPDF_Page_EndText(page);
        }
        HPDF_SaveToStream(d);
        bytes = HPDF_GetStreamSize(d);
        HPDF_Free(d);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_FicheNavette_Cp1252(benchmark::State& state) { renderLoop(state, ficheWithName("")); }
void BM_FicheNavette_NonCp1252Name(benchmark::State& state) { renderLoop(state, ficheWithName("Nguyễn")); }
void BM_FicheNavette_ArabicName(benchmark::State& state) { renderLoop(state, ficheWithName("فاطمة الزهراء")); }
// The same documents as the first of their characters in the process: the subset cache
// (pdf/FontSubset.h) off, so that every document makes its subset and font file again.
void withoutSubsetCache(benchmark::State& state, const char* name) {
    const std::size_t capacity = pdf::subsetCacheCapacity();
    pdf::setSubsetCacheCapacity(0);
    renderLoop(state, ficheWithName(name));
    pdf::setSubsetCacheCapacity(capacity);
}
void BM_FicheNavette_NonCp1252Name_NewCharacters(benchmark::State& state) { withoutSubsetCache(state, "Nguyễn"); }
void BM_FicheNavette_ArabicName_NewCharacters(benchmark::State& state) { withoutSubsetCache(state, "فاطمة الزهراء"); }
void BM_FicheNavette_Cp1252_EmbedAllFonts(benchmark::State& state) { renderLoop(state, ficheWithName(""), true); }

void BM_FicheNavette_6000CharComment(benchmark::State& state) {
    auto data = ficheWithName("");
    std::string comment;
    for (int i = 0; comment.size() < 6000; ++i) comment += "observation " + std::to_string(i) + " du referent, ";
    comment.resize(5990);
    data->set("observations", comment);
    renderLoop(state, data);
}

// ---- large document -----------------------------------------------------------------------------
// A fiche navette with `rows` actions (about 150 bytes of JSON each: 7 500 rows make the 1.1 MB
// input of issue 13), as JSON text.
std::string largeInput(int rows) {
    std::string json = readFile(root() + "/examples/fiche-navette-association-vers-bailleur.json");
    std::string actions = "\"actions\": [";
    static const char* const kEtats[] = {"prevue", "en-cours", "realisee", "abandonnee"};
    for (int i = 0; i < rows; ++i) {
        if (i) actions += ",";
        actions += "{\"action\": \"Démarches n° " + std::to_string(i) + " : rendez-vous CAF et dossier FSL\", "
                   "\"porteur\": \"ADGESTI – Claire Lefèvre\", \"echeance\": \"2026-12-15\", \"etat\": \"" +
                   kEtats[i % 4] + "\"}";
    }
    actions += "],";
    std::size_t at = json.find("\"actions\"");
    if (at == std::string::npos) at = json.rfind('}'), actions = "," + actions.substr(0, actions.size() - 1);
    else {
        std::size_t end = json.find(']', at);
        json.erase(at, json.find(',', end) + 1 - at);
    }
    json.insert(at, actions);
    return json;
}

// The fiche navette form with room for `rows` actions (the shipped form allows 200).
std::shared_ptr<const forms::FormDef> largeForm(int rows) {
    auto def = std::make_shared<forms::FormDef>(*renderer().catalog().forms->find("fiche-navette"));
    for (auto& f : def->fields)
        if (f.name == "actions") f.maxItems = rows;
    return def;
}

Result<service::Rendered> renderLarge(const std::shared_ptr<const forms::FormDef>& def, const Poco::JSON::Object::Ptr& data) {
    auto filled = forms::fill(def, data);
    if (!filled.isOk()) return filled.status();
    service::RenderRequest req;
    req.form = "fiche-navette";
    req.data = data;
    return renderer().renderFilled(filled.value(), req);
}

void BM_LargeDocument_7500Rows(benchmark::State& state) {
    const std::string json = largeInput(7500);
    auto def = largeForm(7500);
    int pages = 0;
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto data = forms::parseJsonObject(json).value();
        auto r = renderLarge(def, data);
        if (!r.isOk()) { state.SkipWithError(r.status().toString().c_str()); return; }
        pages = r.value().pages;
        bytes = r.value().bytes.size();
    }
    state.counters["pages"] = pages;
    state.counters["bytes"] = static_cast<double>(bytes);
    state.counters["input_bytes"] = static_cast<double>(json.size());
    state.counters["ms_per_page"] = benchmark::Counter(static_cast<double>(pages) * state.iterations() / 1000.0,
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

long statusKb(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
    return -1;
}

void resetPeak() {
    std::ofstream("/proc/self/clear_refs") << "5"; // VmHWM := VmRSS
}

// Peak resident memory above the baseline while rendering the 7 500-row document, once with the
// input parsed inside the measured span and once from an already parsed input.
int memoryReport() {
    renderer();
    const std::string json = largeInput(7500);
    auto def = largeForm(7500);
    { // warm-up on a small document: fonts, forms and templates are loaded
        auto r = renderLarge(def, forms::parseJsonObject(largeInput(10)).value());
        if (!r.isOk()) { std::fprintf(stderr, "%s\n", r.status().toString().c_str()); return 1; }
    }
    long base = statusKb("VmRSS:");
    resetPeak();
    std::size_t out = 0;
    int pages = 0;
    long parsedAt = 0;
    {
        auto data = forms::parseJsonObject(json).value();
        parsedAt = statusKb("VmRSS:");
        auto r = renderLarge(def, data);
        if (!r.isOk()) { std::fprintf(stderr, "%s\n", r.status().toString().c_str()); return 1; }
        out = r.value().bytes.size();
        pages = r.value().pages;
    }
    long peak = statusKb("VmHWM:");
    const double inKb = json.size() / 1024.0, outKb = out / 1024.0;
    std::printf("large document: %d pages, input %.0f KB, output %.0f KB\n", pages, inKb, outKb);
    std::printf("peak above baseline, parse included: %.1f MB (%.1f x (input + output))\n", (peak - base) / 1024.0,
                (peak - base) / (inKb + outKb));
    std::printf("  of which the parsed input tree (Poco JSON): %.1f MB\n", (parsedAt - base) / 1024.0);
    std::printf("peak above the parsed input (render alone): %.1f MB (%.1f x (input + output))\n", (peak - parsedAt) / 1024.0,
                (peak - parsedAt) / (inKb + outKb));
    return 0;
}

// The laid-out pages as JSON lines: one item per line, for the ReportLab comparison.
int dumpLayout(const std::string& path) {
    Prepared p = prepare(ficheWithName("Nguyễn"));
    std::ofstream out(path);
    out << "{\"width\": " << p.composed.setup.width << ", \"height\": " << p.composed.setup.height << ", \"pages\": [\n";
    for (std::size_t i = 0; i < p.laid.pages.size(); ++i) {
        out << (i ? ",\n" : "") << "[";
        bool first = true;
        for (const auto& it : p.laid.pages[i].items) {
            std::string escaped;
            for (char c : it.text) {
                if (c == '"' || c == '\\') escaped += '\\';
                escaped += c;
            }
            out << (first ? "" : ",\n") << "{\"k\": " << static_cast<int>(it.kind) << ", \"x\": " << it.x << ", \"y\": " << it.y
                << ", \"w\": " << it.w << ", \"h\": " << it.h << ", \"gray\": " << it.gray << ", \"size\": " << it.size
                << ", \"bold\": " << (it.font == layout::Font::Bold ? "true" : "false") << ", \"text\": \"" << escaped << "\"}";
            first = false;
        }
        out << "]";
    }
    out << "]}\n";
    return 0;
}


// Instructions per document (run under callgrind: bench/instructions.sh): each case once to warm
// up, then its counters are zeroed, it runs `n` times and callgrind dumps the counts under the
// case's name. Outside valgrind it only runs the cases.
int instructionsReport(int n) {
    auto measure = [n](const char* name, const std::function<std::size_t()>& one) {
        std::size_t bytes = one(); // warm-up: fonts, forms, templates, caches
        CALLGRIND_ZERO_STATS;
        for (int i = 0; i < n; ++i) bytes = one();
        CALLGRIND_DUMP_STATS_AT(name);
        std::printf("%s: %d documents, %zu bytes each\n", name, n, bytes);
    };
    auto render = [](const Poco::JSON::Object::Ptr& data, bool embedAll = false) {
        service::RenderRequest req;
        req.form = "fiche-navette";
        req.data = data;
        req.documentId = "FN-BENCH";
        req.embedAllFonts = embedAll;
        return [req] {
            auto r = renderer().render(req);
            if (!r.isOk()) throw std::runtime_error(r.status().toString());
            return r.value().bytes.size();
        };
    };
    const Floor floor(ficheWithName(""));
    measure("Floor_RawLibharu_Cp1252", [&floor] { return floor.draw(); });
    measure("Floor_RawLibharu_Cp1252_Lean", [&floor] { return floor.draw(/*lean=*/true); });
    measure("FicheNavette_Cp1252", render(ficheWithName("")));
    measure("FicheNavette_NonCp1252Name", render(ficheWithName("Nguyễn")));
    measure("FicheNavette_ArabicName", render(ficheWithName("فاطمة الزهراء")));
    {
        const std::size_t capacity = pdf::subsetCacheCapacity();
        pdf::setSubsetCacheCapacity(0);
        measure("FicheNavette_NonCp1252Name_NewCharacters", render(ficheWithName("Nguyễn")));
        measure("FicheNavette_ArabicName_NewCharacters", render(ficheWithName("فاطمة الزهراء")));
        pdf::setSubsetCacheCapacity(capacity);
    }
    {
        // What the HTTP route does for a body without a document id: parse it, derive the id from
        // the content, render; and the parse alone.
        const std::string body = readFile(root() + "/examples/fiche-navette-association-vers-bailleur.json");
        measure("Stage0_ParseRequestBody", [&body] { return forms::parseJsonObject(body).value()->size(); });
        measure("FicheNavette_FromRequestBody", [&body] {
            service::RenderRequest req;
            req.form = "fiche-navette";
            req.data = forms::parseJsonObject(body).value();
            auto r = renderer().render(req);
            if (!r.isOk()) throw std::runtime_error(r.status().toString());
            return r.value().bytes.size();
        });
    }
    {
        Prepared p = prepare(ficheWithName(""));
        auto def = renderer().catalog().forms->find("fiche-navette");
        auto data = ficheWithName("");
        auto tpl = renderer().catalog().templates->find("fiche-navette", "standard");
        measure("Stage1_Fill", [&] { return forms::fill(def, data).isOk() ? std::size_t{1} : 0; });
        measure("Stage2_Compose", [&] {
            return templates::compose(*tpl, p.filled, templates::ComposeOptions{"FN-BENCH", "22/11/2026", {}}).blocks.size();
        });
        measure("Stage3_Layout", [&] { return pdf::layOut(p.composed.blocks, p.composed.setup, p.options).value().pages.size(); });
    }
    return 0;
}

} // namespace

BENCHMARK(BM_Stage1_Fill)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage2_Compose)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage3_Layout)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage4_Draw)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stage4_Draw_Level6)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Floor_RawLibharu_Cp1252)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_Cp1252)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_FromRequestBody)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_NonCp1252Name)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_ArabicName)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_NonCp1252Name_NewCharacters)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_ArabicName_NewCharacters)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_Cp1252_EmbedAllFonts)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Floor_RawLibharu_WholeTTFPerDocument)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FicheNavette_6000CharComment)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LargeDocument_7500Rows)->Unit(benchmark::kMillisecond)->Iterations(3);

int main(int argc, char** argv) {
    // Same allocator settings as the server (src/app/Main.cpp); PASSERELLE_BENCH_DEFAULT_MALLOC=1 to compare.
    if (!std::getenv("PASSERELLE_BENCH_DEFAULT_MALLOC")) {
        mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
        mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    }
    if (argc >= 2 && std::string(argv[1]) == "--memory") return memoryReport();
    if (argc >= 3 && std::string(argv[1]) == "--dump-layout") return dumpLayout(argv[2]);
    if (argc >= 2 && std::string(argv[1]) == "--instructions") return instructionsReport(argc >= 3 ? std::atoi(argv[2]) : 20);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
