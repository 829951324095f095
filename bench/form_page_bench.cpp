// Server-side render time of the grille's form page (no network), through the
// real route handlers (session lookup, store, form-page generator, Mustache
// views, layout, headers) on SQLite:
//   - the new grille page (AFFIL variant, empty),
//   - a draft filled with the AFFIL example (validated on each view for its computed fields),
//   - the generator and the views alone, without the handler.
//   build/bench/bench_form_page [iterations=300]
// Prints median and p95 in milliseconds per page.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <Poco/DirectoryIterator.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>

#include "http/HttpServer.h"
#include "service/AccountService.h"
#include "service/DossierService.h"
#include "service/DraftService.h"
#include "service/TransmissionService.h"
#include "storage/DraftStore.h"
#include "storage/PocoStore.h"
#include "web/WebApp.h"
#include "web/WebRoutes.h"
#include "web/form/FormPage.h"
#include "web/form/FormRoutes.h"

using namespace passerelle;

namespace {
std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// CPU time of this thread, in milliseconds: on a loaded machine the wall time also counts waiting for a core.
double cpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

void report(const std::string& label, std::vector<double> ms, std::size_t bytes, std::vector<double> cpu = {}) {
    std::sort(ms.begin(), ms.end());
    std::cout << label << ": wall median " << ms[ms.size() / 2] << " ms, p95 " << ms[ms.size() * 95 / 100] << " ms";
    if (!cpu.empty()) {
        std::sort(cpu.begin(), cpu.end());
        std::cout << "; CPU median " << cpu[cpu.size() / 2] << " ms, p95 " << cpu[cpu.size() * 95 / 100] << " ms";
    }
    std::cout << " (" << ms.size() << " runs, " << bytes << " bytes)" << std::endl;
}
} // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::atoi(argv[1]) : 300;
    const std::string src = PASSERELLE_SOURCE_DIR;
    Poco::TemporaryFile dir;
    dir.createDirectories();
    auto store = storage::PocoStore::open(storage::sqliteInDataDir(dir.path())).value();
    auto catalog = service::Catalog::load(src + "/forms", src + "/templates", src + "/fonts");
    if (!catalog.isOk()) { std::cerr << catalog.status().toString() << std::endl; return 1; }
    auto renderer = std::make_shared<const service::RenderService>(catalog.value());
    auto dossiers = std::make_shared<const service::DossierService>(store, renderer);
    auto transmissions = std::make_shared<const service::TransmissionService>(store, renderer);
    auto accounts = std::make_shared<const service::AccountService>(store);
    auto drafts = std::make_shared<const service::DraftService>(std::make_shared<storage::PocoDraftStore>(store), dossiers);
    auto org = store->createOrganisation("Foyer d’accueil chartrain", storage::KIND_ASSOCIATION).value();
    auto user = accounts->createUser(std::nullopt, {org.name, "lea@fac.fr", "Léa Moreau", "membre", "un mot de passe solide"});
    auto signedIn = accounts->signIn("lea@fac.fr", "un mot de passe solide", "");
    if (!signedIn.isOk()) { std::cerr << signedIn.status().toString() << std::endl; return 1; }
    storage::Dossier d;
    d.associationId = org.id;
    d.reference = "FAC-2026-0001";
    d.statut = "ouvert";
    d.menageJson = "{\"membres\":[{\"nom\":\"Traoré\",\"prenom\":\"Awa\"}]}";
    d.logementJson = "{}";
    auto dossier = store->createDossier(d).value();

    service::Caller caller{org.id, org.name, org.kind, "", "", user.value().user.id, "Léa Moreau", "membre"};
    auto draft = drafts->create(caller, {"grille-capacite-habiter", "affil", dossier.id, "", ""});
    if (!draft.isOk()) { std::cerr << draft.status().toString() << std::endl; return 1; }
    Poco::JSON::Parser parser;
    auto example = parser.parse(readAll(src + "/examples/grille-capacite-habiter-affil-suivi-6-mois.json"))
                       .extract<Poco::JSON::Object::Ptr>();
    if (!drafts->save(caller, draft.value().id, example).isOk()) { std::cerr << "save failed" << std::endl; return 1; }

    auto views = web::Views::load(src + "/web/views").value();
    web::WebApp app(views, accounts, web::WebSettings{false, false, src + "/web/static"});
    http::Router router;
    web::addWebRoutes(router, app, web::WebServices{dossiers, transmissions});
    web::addFormRoutes(router, app, web::FormServices{dossiers, drafts});
    web::addWebFallback(router, app);

    auto measure = [&](const std::string& label, const std::string& path, std::map<std::string, std::string> query) {
        http::Request r;
        r.method = "GET";
        r.path = path;
        r.query = query;
        r.headers["cookie"] = std::string(web::SESSION_COOKIE) + "=" + signedIn.value().sessionToken;
        bool known = false;
        const http::Route* route = router.match("GET", path, r.params, known);
        if (!route) { std::cerr << "no route for " << path << std::endl; std::exit(1); }
        std::vector<double> ms, cpu;
        std::size_t bytes = 0;
        for (int i = 0; i < iterations + 10; ++i) {
            double c0 = cpuMs();
            auto t0 = std::chrono::steady_clock::now();
            http::Reply reply = route->handler(r);
            auto t1 = std::chrono::steady_clock::now();
            double c1 = cpuMs();
            if (reply.status != 200) { std::cerr << label << ": status " << reply.status << std::endl; std::exit(1); }
            bytes = reply.body.size();
            if (i >= 10) { // 10 warm-up runs
                ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
                cpu.push_back(c1 - c0);
            }
        }
        report(label, ms, bytes, cpu);
    };
    std::cout << "Grille d’appréciation (AFFIL), SQLite, " << iterations << " runs per page" << std::endl;
    measure("new grille page (empty)", "/dossiers/" + dossier.id + "/documents/nouveau",
            {{"formulaire", "grille-capacite-habiter"}, {"modele", "affil"}});
    measure("grille draft page (AFFIL example, validated)", "/brouillons/" + draft.value().id, {});

    // The generator and the views alone.
    {
        auto def = catalog.value().forms->find("grille-capacite-habiter");
        std::vector<double> ms;
        std::size_t bytes = 0;
        for (int i = 0; i < iterations + 10; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            web::FormPageInput in;
            in.form = def.get();
            in.variant = "affil";
            in.values = example;
            in.hiddenFields = web::fieldsOfOtherVariants(*catalog.value().templates, *def, "affil");
            web::FormPage page = web::buildFormPage(in);
            std::string html = views->render("fields/form-body", page.context);
            auto t1 = std::chrono::steady_clock::now();
            bytes = html.size();
            if (i >= 10) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        report("generator + field views only", ms, bytes);
        ms.clear();
        for (int i = 0; i < iterations + 10; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            web::FormPageInput in;
            in.form = def.get();
            in.variant = "affil";
            in.values = example;
            in.hiddenFields = web::fieldsOfOtherVariants(*catalog.value().templates, *def, "affil");
            web::FormPage page = web::buildFormPage(in);
            auto t1 = std::chrono::steady_clock::now();
            if (i >= 10) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        report("generator only (Mustache context)", ms, 0);
    }
    return 0;
}
