#include "web/PageKit.h"

#include <cstdio>

#include <Poco/URI.h>

#include "common/Date.h"
#include "consent/ConsentPolicy.h"
#include "forms/FormRegistry.h"
#include "web/WebApp.h"

namespace passerelle::web::kit {

namespace {

long floorDays(std::int64_t seconds) {
    return static_cast<long>(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400);
}

// The Paris civil date of an instant and the offset of Paris from UTC that day (seconds).
Date parisDate(std::int64_t t, std::int64_t& offset) {
    Date d = Date::fromDays(floorDays(t));
    Date next = d.addDays(1);
    if (t >= consent::Instant::parisMidnight(next).epochSeconds) d = next;
    offset = static_cast<std::int64_t>(d.toDays()) * 86400 - consent::Instant::parisMidnight(d).epochSeconds;
    return d;
}

} // namespace

std::string parisDay(std::int64_t epochSeconds) {
    std::int64_t offset = 0;
    return parisDate(epochSeconds, offset).french();
}

std::string parisDateTime(std::int64_t epochSeconds) {
    std::int64_t offset = 0;
    Date d = parisDate(epochSeconds, offset);
    std::int64_t local = epochSeconds + offset - static_cast<std::int64_t>(d.toDays()) * 86400;
    if (local < 0) local = 0;
    char hm[8];
    std::snprintf(hm, sizeof hm, "%02d:%02d", static_cast<int>((local / 3600) % 24), static_cast<int>((local / 60) % 60));
    return d.french() + " à " + hm;
}

std::string parisDateTimeOfIso(const std::string& iso) {
    auto t = consent::Instant::parseIso(iso.size() > 19 ? iso.substr(0, 19) + "Z" : iso);
    return t ? parisDateTime(t->epochSeconds) : frenchDateTime(iso);
}

http::Reply download(const std::string& bytes, const std::string& contentType, const std::string& fileName,
                     bool inlineView) {
    http::Reply r;
    r.status = 200;
    r.contentType = contentType;
    r.body = bytes;
    r.headers["Content-Disposition"] = std::string(inlineView ? "inline" : "attachment") + "; filename=\"" + fileName + "\"";
    r.headers["Cache-Control"] = "no-store";
    WebApp::secure(r);
    return r;
}

std::string idOfPointer(const std::string& pointer) {
    std::string id;
    for (char c : pointer) {
        if (c == '/') {
            if (!id.empty()) id.push_back('-');
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            id.push_back(c);
        } else {
            id.push_back('_');
        }
    }
    return id.empty() ? "champ" : id;
}

std::map<std::string, std::string> errorsByPointer(const Status& st, mstch::array& summary,
                                                   const std::string& fallbackPointer) {
    std::map<std::string, std::string> out;
    for (const auto& d : st.details()) {
        std::string path = d.path.empty() ? fallbackPointer : d.path;
        if (out.count(path)) continue;
        out[path] = d.message;
        summary.push_back(mstch::map{{"id", idOfPointer(path)}, {"message", d.message}});
    }
    if (out.empty() && !st.isOk()) {
        out[fallbackPointer] = st.message();
        summary.push_back(mstch::map{{"id", idOfPointer(fallbackPointer)}, {"message", st.message()}});
    }
    return out;
}

std::string formTitle(const forms::FormRegistry& forms, const std::string& formId) {
    auto def = forms.find(formId);
    return def ? def->title : formId;
}

std::string consentStateLabel(const std::string& state) {
    if (state == "en-vigueur") return "Valide";
    if (state == "expire") return "Expiré";
    if (state == "retire") return "Retiré";
    if (state == "remplace") return "Remplacé";
    if (state == "refus") return "Refus du ménage";
    return state;
}

ReasonText reasonText(const std::string& code) {
    if (code == "no_consent")
        return {"Aucun consentement du ménage n’est enregistré dans ce dossier",
                "Recueillez l’accord du ménage, puis enregistrez-le avant de transmettre.", true};
    if (code == "recipient_mismatch")
        return {"Le ménage n’a pas donné son accord pour ce bailleur",
                "Les consentements du dossier visent un autre bailleur : enregistrez l’accord du ménage pour celui-ci.", true};
    if (code == "refused_by_household")
        return {"Le ménage a refusé la transmission à ce bailleur",
                "Le ménage garde la possibilité de refuser cette transmission. S’il change d’avis, enregistrez son nouvel accord.", true};
    if (code == "withdrawn")
        return {"Le ménage a retiré son consentement",
                "Rien ne peut être transmis sur ce consentement. Si le ménage donne un nouvel accord, enregistrez-le.", true};
    if (code == "expired")
        return {"Le consentement du ménage a expiré",
                "Recueillez un nouvel accord du ménage, puis enregistrez-le.", true};
    if (code == "consent_not_yet_valid")
        return {"Le consentement n’est pas encore en vigueur", "Réessayez dans un instant.", false};
    if (code == "kind_out_of_scope")
        return {"Ce type de document n’est pas couvert par l’accord du ménage",
                "L’accord du ménage ne mentionne pas ce document : enregistrez un accord qui le couvre.", true};
    if (code == "nothing_to_send")
        return {"Rien à transmettre",
                "Aucune information liée au logement et couverte par l’accord du ménage n’est remplie dans ce document.", false};
    if (code == "superseded")
        return {"Le consentement a été remplacé", "Un enregistrement plus récent s’applique : rechargez la page.", false};
    if (code == "conflicting_records")
        return {"Deux enregistrements du ménage se contredisent",
                "Deux accords ont été enregistrés au même instant : enregistrez l’accord du ménage à nouveau.", true};
    if (code == "invalid_consent_record")
        return {"L’enregistrement du consentement est incomplet",
                "Enregistrez à nouveau l’accord du ménage, avec la modalité de recueil.", true};
    if (code == "recipient_not_landlord")
        return {"Ce destinataire n’est pas un bailleur", "Choisissez un bailleur du partenariat.", false};
    if (code == "unknown_category")
        return {"Le formulaire contient une catégorie d’information inconnue",
                "Rien n’est transmis par précaution : signalez-le à l’administrateur de Passerelle.", false};
    return {"La transmission n’est pas possible", "", false};
}

std::string exclusionLabel(const std::string& why) {
    if (why == consent::kExcludedNotHousing) return "sans lien avec le logement";
    if (why == consent::kExcludedOutOfScope) return "hors du champ de l’accord du ménage";
    return why;
}

int pageNumber(const std::string& text, int max) {
    if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos) return 1;
    int n = std::stoi(text);
    return n < 1 ? 1 : n > max ? max : n;
}

std::string urlEncode(const std::string& s) {
    std::string out;
    Poco::URI::encode(s, "&=?#+%/ ", out);
    return out;
}

} // namespace passerelle::web::kit
