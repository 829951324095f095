// Server-side render time of the web pages (no network): the dossier list of
// an association with 1 000 dossiers (first page, a search, a filtered page)
// and a dossier page, through the real route handler (session lookup, CSRF
// token, store query, Mustache views, layout, headers) on SQLite.
//   build/bench/bench_web_pages [iterations=300]
// Prints median and p95 in milliseconds per page.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <vector>

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>

#include "http/HttpServer.h"
#include "service/AccountService.h"
#include "service/DossierService.h"
#include "service/TransmissionService.h"
#include "storage/PocoStore.h"
#include "web/WebApp.h"
#include "web/WebRoutes.h"

using namespace passerelle;

// CPU time of this thread: on a shared machine the wall time also counts the waits for a core.
static double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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
    auto org = store->createOrganisation("ADGESTI", storage::KIND_ASSOCIATION).value();
    auto user = accounts->createUser(std::nullopt, {"ADGESTI", "marc@adgesti.fr", "Marc Durand", "membre", "un mot de passe solide"});
    auto signedIn = accounts->signIn("marc@adgesti.fr", "un mot de passe solide", "");
    if (!signedIn.isOk()) { std::cerr << signedIn.status().toString() << std::endl; return 1; }
    const char* noms[] = {"Martin", "Benali", "Lefèvre", "N’Diaye", "Nguyễn", "Dubois", "Łukasz", "Moreau", "Petit", "Garcia"};
    std::string someId;
    for (int i = 0; i < 1000; ++i) {
        storage::Dossier d;
        d.associationId = org.id;
        d.reference = "ADG-2026-" + std::to_string(1000 + i);
        d.statut = i % 7 == 0 ? "clos" : "ouvert";
        d.menageJson = std::string("{\"membres\":[{\"nom\":\"") + noms[i % 10] + "\",\"prenom\":\"Prénom " + std::to_string(i) +
                       "\"}],\"numeroUnique\":\"07526" + std::to_string(100000 + i) + "A\"}";
        d.referentUserId = i % 2 ? user.value().user.id : "";
        someId = store->createDossier(d).value().id;
    }
    auto views = web::Views::load(src + "/web/views").value();
    web::WebApp app(views, accounts, web::WebSettings{false, false, src + "/web/static"});
    http::Router router;
    web::addWebRoutes(router, app, web::WebServices{dossiers, transmissions});
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
            double c0 = threadCpuMs();
            auto t0 = std::chrono::steady_clock::now();
            http::Reply reply = route->handler(r);
            auto t1 = std::chrono::steady_clock::now();
            if (i >= 10) cpu.push_back(threadCpuMs() - c0);
            if (reply.status != 200) { std::cerr << label << ": status " << reply.status << std::endl; std::exit(1); }
            bytes = reply.body.size();
            if (i >= 10) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count()); // 10 warm-up runs
        }
        std::sort(ms.begin(), ms.end());
        std::sort(cpu.begin(), cpu.end());
        std::cout << label << ": median " << ms[ms.size() / 2] << " ms, p95 " << ms[ms.size() * 95 / 100]
                  << " ms wall; CPU median " << cpu[cpu.size() / 2] << " ms, p95 " << cpu[cpu.size() * 95 / 100] << " ms ("
                  << iterations << " runs, " << bytes << " bytes)" << std::endl;
    };
    std::cout << "1 000 dossiers, SQLite, " << iterations << " runs per page" << std::endl;
    // The store query alone, to tell the database's share from the page's.
    {
        std::vector<double> ms;
        storage::DossierSearch q;
        q.associationId = org.id;
        for (int i = 0; i < iterations; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            auto page = store->searchDossiers(q);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        std::cout << "store searchDossiers (page 1, count + 20 rows): median " << ms[ms.size() / 2] << " ms, p95 "
                  << ms[ms.size() * 95 / 100] << " ms" << std::endl;
    }
    auto timeIt = [&](const std::string& label, auto&& f) {
        std::vector<double> ms;
        for (int i = 0; i < iterations; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            f();
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        std::cout << label << ": median " << ms[ms.size() / 2] << " ms, p95 " << ms[ms.size() * 95 / 100] << " ms" << std::endl;
    };
    timeIt("resolveSession", [&] { accounts->resolveSession(signedIn.value().sessionToken); });
    timeIt("colleagues", [&] { accounts->colleagues(signedIn.value().caller); });
    timeIt("DossierService::searchDossiers", [&] { dossiers->searchDossiers(signedIn.value().caller, storage::DossierSearch{}); });
    measure("GET /dossiers (page 1 of 50)", "/dossiers", {});
    measure("GET /dossiers?q=lefevre (100 matches)", "/dossiers", {{"q", "lefevre"}});
    measure("GET /dossiers?statut=clos&page=3", "/dossiers", {{"statut", "clos"}, {"page", "3"}});
    measure("GET /dossiers/{id}", "/dossiers/" + someId, {});
    return 0;
}
