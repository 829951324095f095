#pragma once
// The pages of issue 12 (web application, part 2): the association's
// transmission step and consents, the landlord's and the SIAO's inbox.
// Thin handlers over service::TransmissionService: the consent gate decides
// (previewTransmission, transmit), the pages only show its decision.
//
// Association (TransmitPages.cpp, ConsentPages.cpp)
//   GET  /documents/{doc}/transmettre[?destinataire=ORG]   choice of the bailleur, then the gate's decision
//   POST /documents/{doc}/transmettre  (destinataire)       transmit() → 303 to the transmission's page
//   GET  /documents/{doc}/transmissions/{trn}               one transmission and its delivery state
//   GET  /dossiers/{dos}/consentements/nouveau[?destinataire=&formulaire=]
//   POST /dossiers/{dos}/consentements                      recordConsent() → 303 to the dossier
//   GET  /dossiers/{dos}/consentements/{cns}/retirer        confirmation page
//   POST /dossiers/{dos}/consentements/{cns}/retirer        withdrawConsent() → 303 to the dossier
//   GET  /dossiers/{dos}/consentements/recu.pdf             the household's receipt (PDF, to print)
// Landlord and SIAO (InboxPages.cpp)
//   GET  /recus?q=&formulaire=&expediteur=&du=&au=&etat=&page=   the inbox
//   GET  /recus/{trn}                                        a received copy (its permitted content)
//   GET  /recus/{trn}.pdf, /recus/{trn}.xlsx                 the copy's files
// Anything that is not the caller's answers the French 404.
#include <memory>
#include <string>
#include <vector>

#include <mstch/mstch.hpp>

#include "http/HttpServer.h"
#include "service/TransmissionService.h"
#include "web/WebApp.h"
#include "web/WebRoutes.h"

namespace passerelle::forms {
class FormRegistry;
}

namespace passerelle::web {

// `app` must outlive the router. Register before addWebFallback().
void addTransmissionPages(http::Router& router, const WebApp& app, const WebServices& services);

// The parts addTransmissionPages() registers (one per file).
void addTransmitPages(http::Router& router, const WebApp& app, const WebServices& services);
void addConsentPages(http::Router& router, const WebApp& app, const WebServices& services);
void addInboxPages(http::Router& router, const WebApp& app, const WebServices& services);

// For the dossier page (WebRoutes.cpp).
struct TimelineEvent {
    std::string at; // ISO 8601 UTC, for the order
    std::string kind; // consentement | refus | retrait | transmission | lecture | envoi | echec
    std::string title;
    std::string detail;
};
// The timeline events of one document's transmissions: sent (or refused), read by
// the recipient, pushed to its webhook or failed.
std::vector<TimelineEvent> deliveryEvents(const std::vector<service::DeliveryView>& deliveries,
                                          const std::string& documentTitle);
// The dossier page's consent table: one row per record with its state, scope and
// expiry, and the links to withdraw it.
// One consent record for a page: dates (given, expiry, withdrawal), who gave it, scope
// (document titles, category labels), how it was collected, SIAO copy, state.
mstch::map consentCard(const service::ConsentView& consent, const forms::FormRegistry& forms);
mstch::array consentRows(const std::vector<service::ConsentView>& consents, const forms::FormRegistry& forms,
                         const std::string& dossierId);

} // namespace passerelle::web
