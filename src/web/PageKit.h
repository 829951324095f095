#pragma once
// Small helpers shared by the pages of issue 12 (transmission, consents,
// inbox): French dates from epoch times, downloads, the GOV.UK error summary
// from a Status, and the French words for the consent states and reasons.
// Pure formatting: no rule, no decision (those stay in service/ and consent/).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <mstch/mstch.hpp>

#include "common/Status.h"
#include "http/HttpServer.h"

namespace passerelle::forms {
class FormRegistry;
}

namespace passerelle::web::kit {

inline constexpr const char* DOSSIER_ID = "(dos_[0-9a-f]{16})";
inline constexpr const char* DOCUMENT_ID = "(doc_[0-9a-f]{16})";
inline constexpr const char* TRANSMISSION_ID = "(trn_[0-9a-f]{16})";
inline constexpr const char* CONSENT_ID = "(cns_[0-9a-f]{16})";

// The Europe/Paris civil date of an epoch time: "22/11/2026".
std::string parisDay(std::int64_t epochSeconds);
// "22/11/2026 à 10:15" (Europe/Paris).
std::string parisDateTime(std::int64_t epochSeconds);
// The same from epoch milliseconds.
inline std::string parisDateTimeMs(std::int64_t epochMs) { return parisDateTime(epochMs / 1000); }
// The ISO time ("2026-11-22T10:15:00.000Z") of storage rows, as a Paris date and time.
std::string parisDateTimeOfIso(const std::string& iso);

// A file answer (inline or attachment), no-store, with the security headers.
http::Reply download(const std::string& bytes, const std::string& contentType, const std::string& fileName,
                     bool inlineView);

// "/givenBy/name" -> "givenBy-name": the id of the input named by that pointer.
std::string idOfPointer(const std::string& pointer);
// The field errors of a Status by pointer, and the error summary's items ({id, message}).
std::map<std::string, std::string> errorsByPointer(const Status& st, mstch::array& summary,
                                                   const std::string& fallbackPointer);

// The title of a form ("Grille d’appréciation…"), or its id.
std::string formTitle(const forms::FormRegistry& forms, const std::string& formId);
// "en-vigueur" → "Valide", "expire" → "Expiré", "retire" → "Retiré", "remplace" → "Remplacé", "refus" → "Refus du ménage".
std::string consentStateLabel(const std::string& state);
// The French words for a decision code's cause and what to do about it.
struct ReasonText {
    std::string title;   // « Aucun consentement du ménage pour ce bailleur »
    std::string advice;  // what the référent can do
    bool recordConsent = false; // a link to record a consent helps
};
ReasonText reasonText(const std::string& code);
// Why a field is left out: « sans lien avec le logement », « hors du champ de l’accord du ménage ».
std::string exclusionLabel(const std::string& why);

// A positive integer query parameter, clamped to [1, max]; 1 when absent or invalid.
int pageNumber(const std::string& text, int max = 100000);
// Percent-encodes a query value.
std::string urlEncode(const std::string& s);

// Why a push was cancelled at delivery time (issue 11 item 7), in French.
inline std::string cancelReasonText(const std::string& code) {
    if (code == "withdrawn") return "le ménage a retiré son consentement";
    if (code == "expired") return "le consentement a expiré";
    if (code == "superseded") return "le consentement a été remplacé";
    if (code == "siao_copy_not_covered") return "le consentement ne couvre plus la copie au SIAO";
    if (code == "no_webhook") return "le destinataire n’a plus de webhook";
    return "le consentement ne permet plus l’envoi (" + code + ")";
}

} // namespace passerelle::web::kit
