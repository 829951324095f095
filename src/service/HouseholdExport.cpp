#include "service/HouseholdExport.h"

#include <map>
#include <sstream>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Path.h>
#include <Poco/Timestamp.h>
#include <Poco/Zip/Compress.h>

#include "storage/ApiKeys.h"

namespace passerelle::service {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr ordered() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

// Stored JSON text as a value (an object, or the text itself when it does not parse).
Poco::Dynamic::Var parsed(const std::string& text) {
    try {
        return Poco::JSON::Parser().parse(text.empty() ? "{}" : text);
    } catch (const Poco::Exception&) {
        return text;
    }
}

Array::Ptr strings(const std::vector<std::string>& v) {
    Array::Ptr a = new Array;
    for (const auto& s : v) a->add(s);
    return a;
}

std::string isoOfEpoch(std::int64_t seconds) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(seconds)),
                                           "%Y-%m-%dT%H:%M:%SZ");
}

const char* README =
    "Données détenues sur votre ménage — droit d’accès (article 15 du RGPD)\n"
    "=====================================================================\n"
    "\n"
    "Cette archive contient tout ce que Passerelle conserve sur le dossier de votre ménage,\n"
    "tenu par l’association qui vous accompagne (le responsable du traitement).\n"
    "\n"
    "  donnees.json   le dossier (composition du ménage, logement), chaque document et\n"
    "                 chacune de ses versions (les informations saisies), les signatures,\n"
    "                 vos consentements et refus (avec leurs retraits), et les transmissions :\n"
    "                 à qui, quand, quel document, et ce qui n’a pas été transmis ;\n"
    "  documents/     le fichier (PDF ou tableur) de chaque version de chaque document ;\n"
    "  signes/        le PDF signé et scellé de chaque document signé.\n"
    "\n"
    "Les dates de donnees.json sont en temps universel (UTC). L’empreinte « sha256 » de chaque\n"
    "fichier permet de vérifier qu’il est identique à celui conservé.\n"
    "\n"
    "Vous pouvez demander la rectification de ces données, retirer à tout moment un\n"
    "consentement à leur transmission, et adresser une réclamation à la CNIL (www.cnil.fr).\n"
    "Durées de conservation : le dossier clos est archivé (il ne peut plus être modifié) puis\n"
    "ses données personnelles sont effacées, selon les durées fixées par l’association.\n";

std::string safeName(const std::string& s) {
    std::string out;
    for (char c : s) out.push_back((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_');
    return out;
}

} // namespace

HouseholdExport::HouseholdExport(std::shared_ptr<const DossierService> dossiers) : _dossiers(std::move(dossiers)) {}

Result<HouseholdArchive> HouseholdExport::exportDossier(const Caller& caller, const std::string& dossierId,
                                                        const std::string& via) const {
    auto found = _dossiers->getDossier(caller, dossierId); // NotFound unless the caller's association follows it
    if (!found.isOk()) return found.status();
    const storage::Dossier& d = found.value();
    auto& store = *_dossiers->store();
    const auto& forms = *_dossiers->renderer()->catalog().forms;
    std::map<std::string, std::string> orgNames;
    auto orgName = [&](const std::string& id) {
        if (id.empty()) return std::string();
        auto it = orgNames.find(id);
        if (it != orgNames.end()) return it->second;
        auto o = store.findOrganisation(id);
        return orgNames[id] = o.isOk() ? o.value().name : id;
    };
    auto org = [&](const std::string& id) {
        auto o = ordered();
        o->set("id", id);
        o->set("nom", orgName(id));
        return o;
    };

    std::vector<std::pair<std::string, std::string>> files; // zip path -> bytes
    auto root = ordered();
    root->set("format", "passerelle-export-menage-v1");
    root->set("exportedAt", Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%SZ"));
    root->set("association", org(d.associationId));
    auto dj = ordered();
    dj->set("id", d.id);
    dj->set("reference", d.reference);
    dj->set("statut", d.statut);
    dj->set("menage", parsed(d.menageJson));
    dj->set("logement", parsed(d.logementJson));
    dj->set("createdAt", d.createdAt);
    dj->set("updatedAt", d.updatedAt);
    dj->set("closedAt", d.closedAt);
    dj->set("archivedAt", d.archivedAt);
    dj->set("erasedAt", d.erasedAt);
    root->set("dossier", dj);

    // Documents, every revision and its files; the latest signing of each.
    std::vector<storage::Document> documents;
    for (int offset = 0;; offset += 500) {
        storage::DocumentQuery q;
        q.ownerOrganisationId = d.associationId;
        q.dossierId = d.id;
        q.limit = 500;
        q.offset = offset;
        auto page = store.listDocuments(q);
        if (!page.isOk()) return page.status();
        for (auto& doc : page.value().items) documents.push_back(std::move(doc));
        if (page.value().items.size() < 500) break;
    }
    Array::Ptr docsJson = new Array;
    Array::Ptr transmissionsJson = new Array;
    for (const auto& doc : documents) {
        auto def = forms.find(doc.form);
        auto dj2 = ordered();
        dj2->set("id", doc.id);
        dj2->set("form", doc.form);
        dj2->set("title", def ? def->title : doc.form);
        dj2->set("createdAt", doc.createdAt);
        dj2->set("updatedAt", doc.updatedAt);
        auto revisions = store.listRevisions(doc.id);
        if (!revisions.isOk()) return revisions.status();
        Array::Ptr revs = new Array;
        for (const auto& r : revisions.value()) {
            auto rj = ordered();
            rj->set("number", r.number);
            rj->set("variant", r.variant);
            rj->set("createdAt", r.createdAt);
            rj->set("data", parsed(r.inputJson));
            Array::Ptr fj = new Array;
            for (const auto& a : r.artefacts) {
                auto bytes = store.fetchArtefact(doc.id, r.number, a.format);
                if (!bytes.isOk()) return bytes.status();
                const std::string path = "documents/" + safeName(doc.form) + "-" + safeName(doc.id) + "-r" +
                                         std::to_string(r.number) + "." + safeName(a.format);
                auto f = ordered();
                f->set("file", path);
                f->set("format", a.format);
                f->set("sha256", a.sha256);
                f->set("size", a.size);
                if (bytes.value().bytes.empty()) f->set("erased", true); // retention: the bytes were erased
                else files.emplace_back(path, bytes.value().bytes);
                fj->add(f);
            }
            rj->set("files", fj);
            revs->add(rj);
        }
        dj2->set("revisions", revs);
        auto signing = store.latestSigning(doc.id);
        if (signing.isOk()) {
            const auto& sg = signing.value().signing;
            auto sj = ordered();
            sj->set("id", sg.id);
            sj->set("revision", sg.revision);
            sj->set("state", sg.state);
            sj->set("createdAt", sg.createdAt);
            sj->set("completedAt", sg.completedAt);
            Array::Ptr people = new Array;
            for (const auto& p : signing.value().signatories) {
                auto pj = ordered();
                pj->set("party", p.party);
                pj->set("name", p.name);
                pj->set("capacity", p.capacity);
                pj->set("state", p.state);
                pj->set("method", p.method);
                pj->set("signedAt", p.signedAt);
                people->add(pj);
            }
            sj->set("signatories", people);
            auto signedPdf = store.fetchSignedDocument(sg.id);
            if (signedPdf.isOk()) {
                const std::string path = "signes/" + safeName(doc.form) + "-" + safeName(doc.id) + "-signe.pdf";
                sj->set("file", path);
                sj->set("sha256", signedPdf.value().sha256);
                if (signedPdf.value().bytes.empty()) sj->set("erased", true);
                else files.emplace_back(path, signedPdf.value().bytes);
            }
            dj2->set("signing", sj);
        }
        docsJson->add(dj2);

        for (int offset = 0;; offset += 500) {
            storage::TransmissionQuery q;
            q.documentId = doc.id;
            q.allowedOnly = false;
            q.limit = 500;
            q.offset = offset;
            auto page = store.listTransmissions(q);
            if (!page.isOk()) return page.status();
            for (const auto& t : page.value().items) {
                auto tj = ordered();
                tj->set("id", t.id);
                tj->set("at", t.createdAt);
                tj->set("document", t.documentId);
                tj->set("revision", t.revision);
                tj->set("form", t.form);
                tj->set("recipient", org(t.recipientOrgId));
                tj->set("sent", t.allowed);
                tj->set("decision", t.decisionCode);
                tj->set("consent", t.consentId);
                if (!t.copyOf.empty()) tj->set("copyOf", t.copyOf);
                tj->set("withheld", parsed(t.excludedJson));
                Array::Ptr copies = new Array;
                for (const auto& a : t.artefacts) {
                    auto c = ordered();
                    c->set("format", a.format);
                    c->set("sha256", a.sha256);
                    copies->add(c);
                }
                tj->set("copies", copies);
                transmissionsJson->add(tj);
            }
            if (page.value().items.size() < 500) break;
        }
    }
    root->set("documents", docsJson);

    auto consents = store.listConsents(d.id);
    if (!consents.isOk()) return consents.status();
    Array::Ptr consentsJson = new Array;
    for (const auto& c : consents.value()) {
        auto cj = ordered();
        cj->set("id", c.id);
        cj->set("kind", c.kind);
        cj->set("givenBy", c.givenByName);
        cj->set("capacity", c.givenByCapacity);
        cj->set("recipient", org(c.recipientOrgId));
        cj->set("documentKinds", strings(c.documentKinds));
        cj->set("categories", strings(c.categories));
        cj->set("purpose", c.purpose);
        cj->set("givenAt", isoOfEpoch(c.givenAt));
        cj->set("method", c.howMethod);
        cj->set("copieSiao", c.copieSiao);
        if (c.expiresAt) cj->set("expiresAt", isoOfEpoch(*c.expiresAt));
        if (c.withdrawnAt) cj->set("withdrawnAt", isoOfEpoch(*c.withdrawnAt));
        if (!c.supersedes.empty()) cj->set("supersedes", c.supersedes);
        cj->set("recordedAt", c.createdAt);
        consentsJson->add(cj);
    }
    root->set("consents", consentsJson);
    root->set("transmissions", transmissionsJson);

    std::ostringstream json;
    Poco::JSON::Stringifier::stringify(root, json, 1);
    json << "\n";

    std::ostringstream zip;
    int count = 0;
    {
        Poco::Zip::Compress c(zip, true);
        const Poco::DateTime now;
        auto add = [&](const std::string& path, const std::string& bytes) {
            std::istringstream in(bytes);
            c.addFile(in, now, Poco::Path(path, Poco::Path::PATH_UNIX), Poco::Zip::ZipCommon::CM_DEFLATE,
                      Poco::Zip::ZipCommon::CL_NORMAL);
            ++count;
        };
        add("LISEZMOI.txt", README);
        add("donnees.json", json.str());
        for (const auto& [path, bytes] : files) add(path, bytes);
        c.close();
    }
    HouseholdArchive out;
    out.bytes = zip.str();
    out.sha256 = storage::sha256Hex(out.bytes);
    out.files = count;
    out.fileName = "donnees-menage-" + d.id + ".zip";
    Status st = store.appendAudit({"household.exported", caller.organisationId, d.id,
                                   "{\"sha256\":\"" + out.sha256 + "\",\"files\":" + std::to_string(count) +
                                       ",\"via\":\"" + safeName(via) + "\"}"});
    if (!st.isOk()) return st;
    return out;
}

} // namespace passerelle::service
