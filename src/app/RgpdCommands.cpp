#include "app/RgpdCommands.h"

#include <fstream>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "service/DossierService.h"
#include "service/HouseholdExport.h"

namespace passerelle::app {

namespace {
const int EXIT_OK_ = 0, EXIT_USAGE_ = 64, EXIT_DATAERR_ = 65, EXIT_NOINPUT_ = 66, EXIT_SOFTWARE_ = 70, EXIT_CANTCREAT_ = 73;
}

int runRetention(const std::shared_ptr<storage::Store>& store, const std::vector<std::string>& args,
                 const RetentionOptions& o, std::ostream& out, std::ostream& err) {
    if (!store || !args.empty() || o.dryRun == o.apply) {
        err << "usage : passerelle retention --dry-run | --apply [--today AAAA-MM-JJ] [--data-dir DIR | --db URL]"
            << std::endl;
        return EXIT_USAGE_;
    }
    Status valid = service::checkRetentionPolicy(o.policy);
    if (!valid.isOk()) {
        err << "erreur : " << valid.message() << std::endl;
        return EXIT_DATAERR_;
    }
    const std::string today =
        o.today.empty() ? Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%d") : o.today;
    service::RetentionService svc(store, o.policy);
    auto plan = o.apply ? svc.apply(today) : svc.plan(today);
    if (!plan.isOk()) {
        err << "erreur : " << plan.status().message() << std::endl;
        return plan.status().code() == Status::Code::InvalidArgument ? EXIT_USAGE_ : EXIT_SOFTWARE_;
    }
    svc.report(plan.value(), out);
    return EXIT_OK_;
}

int runExportHousehold(const std::shared_ptr<storage::Store>& store, service::Catalog catalog,
                       const std::string& dossierId, const std::string& outPath, std::ostream& out, std::ostream& err) {
    auto dossier = store->findDossier(dossierId);
    if (!dossier.isOk()) {
        err << "erreur : " << dossier.status().message() << std::endl;
        return dossier.status().code() == Status::Code::NotFound ? EXIT_NOINPUT_ : EXIT_SOFTWARE_;
    }
    auto org = store->findOrganisation(dossier.value().associationId);
    if (!org.isOk()) {
        err << "erreur : " << org.status().message() << std::endl;
        return EXIT_SOFTWARE_;
    }
    // The operator acts for the association that follows the dossier (the data controller).
    service::Caller caller{org.value().id, org.value().name, org.value().kind, "", "", "", "", ""};
    auto renderer = std::make_shared<const service::RenderService>(std::move(catalog));
    auto dossiers = std::make_shared<const service::DossierService>(store, renderer);
    auto zip = service::HouseholdExport(dossiers).exportDossier(caller, dossierId, "cli");
    if (!zip.isOk()) {
        err << "erreur : " << zip.status().message() << std::endl;
        return zip.status().code() == Status::Code::NotFound ? EXIT_NOINPUT_ : EXIT_SOFTWARE_;
    }
    std::ofstream f(outPath, std::ios::binary | std::ios::trunc);
    f.write(zip.value().bytes.data(), static_cast<std::streamsize>(zip.value().bytes.size()));
    f.close();
    if (!f) {
        err << "erreur : écriture impossible de " << outPath << std::endl;
        return EXIT_CANTCREAT_;
    }
    out << "export du dossier " << dossierId << " (" << org.value().name << ") : " << outPath << ", "
        << zip.value().files << " fichiers, SHA-256 " << zip.value().sha256 << " (inscrit au journal d’audit)" << std::endl;
    return EXIT_OK_;
}

} // namespace passerelle::app
