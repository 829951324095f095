#include "service/Retention.h"

#include <map>

#include "common/Date.h"

namespace passerelle::service {

Status checkRetentionPolicy(const RetentionPolicy& p) {
    std::vector<FieldError> errors;
    if (p.archiveAfterMonths < 0)
        errors.push_back({"retention.archive-after-months", "minimum", "La durée avant archivage doit être positive ou nulle."});
    if (p.eraseAfterMonths < p.archiveAfterMonths)
        errors.push_back({"retention.erase-after-months", "minimum",
                          "La durée avant effacement doit être au moins celle avant archivage (" +
                              std::to_string(p.archiveAfterMonths) + " mois)."});
    if (!errors.empty())
        return Status::invalidArgument("invalid_retention", "Durées de conservation incohérentes : " + errors.front().message,
                                       errors);
    return Status::ok();
}

RetentionService::RetentionService(std::shared_ptr<storage::Store> store, RetentionPolicy policy)
    : _store(std::move(store)), _policy(policy) {}

Result<RetentionPlan> RetentionService::plan(const std::string& todayIso) const {
    Status valid = checkRetentionPolicy(_policy);
    if (!valid.isOk()) return valid;
    auto today = Date::parseIso(todayIso);
    if (!today) return Status::invalidArgument("bad_date", "Date invalide : « " + todayIso + " » (AAAA-MM-JJ attendu).");
    auto closed = _store->listClosedDossiers();
    if (!closed.isOk()) return closed.status();
    std::map<std::string, std::string> names;
    RetentionPlan out;
    out.today = today->iso();
    for (const auto& d : closed.value()) {
        auto closedOn = Date::parseIso(d.closedAt.substr(0, 10));
        if (!closedOn) continue; // written by the store: always a date
        if (!names.count(d.associationId)) {
            auto org = _store->findOrganisation(d.associationId);
            names[d.associationId] = org.isOk() ? org.value().name : d.associationId;
        }
        RetentionItem item{d, closedOn->iso(), "", names[d.associationId]};
        const Date eraseOn = closedOn->addMonths(_policy.eraseAfterMonths);
        const Date archiveOn = closedOn->addMonths(_policy.archiveAfterMonths);
        if (eraseOn <= *today) {
            item.dueOn = eraseOn.iso();
            out.erase.push_back(item);
        } else if (archiveOn <= *today && d.archivedAt.empty()) {
            item.dueOn = archiveOn.iso();
            out.archive.push_back(item);
        } else {
            ++out.closedKept;
        }
    }
    return out;
}

Result<RetentionPlan> RetentionService::apply(const std::string& todayIso) const {
    auto p = plan(todayIso);
    if (!p.isOk()) return p.status();
    RetentionPlan out = p.value();
    const std::string policy = "\"archiveAfterMonths\":" + std::to_string(_policy.archiveAfterMonths) +
                               ",\"eraseAfterMonths\":" + std::to_string(_policy.eraseAfterMonths);
    for (const auto& item : out.archive) {
        storage::AuditEvent e{"dossier.archived", "system", item.dossier.id,
                              "{\"association\":\"" + item.dossier.associationId + "\",\"closedAt\":\"" +
                                  item.dossier.closedAt + "\"," + policy + "}"};
        auto r = _store->archiveDossier(item.dossier.id, e);
        if (!r.isOk()) return r.status();
    }
    for (const auto& item : out.erase) {
        storage::AuditEvent e{"dossier.erased", "system", item.dossier.id,
                              "{\"association\":\"" + item.dossier.associationId + "\",\"closedAt\":\"" +
                                  item.dossier.closedAt + "\"," + policy + "}"};
        auto r = _store->eraseDossier(item.dossier.id, e);
        if (!r.isOk()) return r.status();
    }
    out.applied = true;
    return out;
}

void RetentionService::report(const RetentionPlan& plan, std::ostream& out) const {
    auto fr = [](const std::string& iso) {
        auto d = Date::parseIso(iso.substr(0, 10));
        return d ? d->french() : iso;
    };
    out << (plan.applied ? "Conservation des dossiers clos — appliquée le " : "Conservation des dossiers clos — simulation (rien n’est modifié) au ")
        << fr(plan.today) << "\n";
    out << "Durées : archivage " << _policy.archiveAfterMonths << " mois après la clôture, effacement des données personnelles "
        << _policy.eraseAfterMonths << " mois après la clôture (référentiel CNIL, docs/rgpd.md).\n\n";
    auto line = [&](const RetentionItem& i) {
        out << "  - " << i.dossier.id << " (" << i.organisationName;
        if (!i.dossier.reference.empty()) out << ", réf. " << i.dossier.reference;
        out << ") : clos le " << fr(i.closedOn) << ", échéance le " << fr(i.dueOn) << "\n";
    };
    out << (plan.applied ? "Dossiers archivés : " : "Dossiers à archiver : ") << plan.archive.size() << "\n";
    for (const auto& i : plan.archive) line(i);
    out << (plan.applied ? "Dossiers dont les données personnelles ont été effacées : "
                         : "Dossiers dont les données personnelles seraient effacées : ")
        << plan.erase.size() << "\n";
    for (const auto& i : plan.erase) line(i);
    out << "Dossiers clos conservés sans changement : " << plan.closedKept << "\n";
    if (!plan.applied && (!plan.archive.empty() || !plan.erase.empty()))
        out << "\nPour appliquer : passerelle retention --apply\n";
}

} // namespace passerelle::service
