#pragma once
// Routes of the consent gate and the transmission to landlords (issue 6),
// behind the same "Authorization: Bearer <clé>" as the stored API.
//
//   association (owner of the dossier):
//   POST /v1/dossiers/{id}/consents              record a consent or a refusal (201)
//   GET  /v1/dossiers/{id}/consents              every record of the dossier, with its state
//   GET  /v1/dossiers/{id}/consents/receipt.pdf  the household's readable receipt
//   POST /v1/consents/{id}/withdraw              withdrawal, one call, effective at once
//   POST /v1/documents/{id}/transmit             {"to": "<bailleur id or name>"}: 201, or 403/409 with the reason
//   bailleur:
//   GET  /v1/received?limit=&offset=             the recipient copies transmitted to it
//   GET  /v1/received/{trn}                      metadata + permitted data (JSON)
//   GET  /v1/received/{trn}/pdf                  the recipient copy (also /xlsx for a grille)
//   PUT  /v1/me/webhook                          {"url": "http://…"}: push delivery through the outbox
// What the caller may not see is 404 (existence would leak).
#include <memory>

#include "http/HttpServer.h"
#include "service/TransmissionService.h"

namespace passerelle::http {

void addConsentRoutes(Router& router, std::shared_ptr<const service::TransmissionService> service);

} // namespace passerelle::http
