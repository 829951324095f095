// storage_crash_helper URL DOSSIER_ID ORG_ID STEP
// Opens the store at URL and creates a document in DOSSIER_ID; when the write
// transaction reaches STEP, the process ends at once (_exit(42)): no commit,
// no rollback, as in a crash. Used by the storage and API suites.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "storage/ApiKeys.h"
#include "storage/PocoStore.h"

int main(int argc, char** argv) {
    using namespace passerelle::storage;
    if (argc != 5) {
        std::fprintf(stderr, "usage: storage_crash_helper URL DOSSIER_ID ORG_ID STEP\n");
        return 2;
    }
    auto cfg = parseDatabaseUrl(argv[1]);
    if (!cfg.isOk()) return 3;
    auto store = PocoStore::open(cfg.value());
    if (!store.isOk()) {
        std::fprintf(stderr, "%s\n", store.status().toString().c_str());
        return 4;
    }
    const std::string step = argv[4];
    store.value()->setFaultHook([step](const std::string& s) {
        if (s == step) _exit(42);
    });
    Document d;
    d.form = "fiche-navette";
    d.dossierId = argv[2];
    d.ownerOrganisationId = argv[3];
    d.createdByOrganisationId = argv[3];
    Revision r;
    r.variant = "standard";
    r.formVersion = "1.0.0";
    r.inputJson = "{}";
    r.createdByOrganisationId = argv[3];
    Artefact a;
    a.format = "pdf";
    a.contentType = "application/pdf";
    a.bytes = "%PDF-crash";
    a.sha256 = sha256Hex(a.bytes);
    a.size = static_cast<std::int64_t>(a.bytes.size());
    r.artefacts.push_back(a);
    auto doc = store.value()->createDocument(d, r);
    std::fprintf(stderr, "step %s not reached: %s\n", step.c_str(), doc.status().toString().c_str());
    return 5;
}
