#pragma once
// Routes of signed documents (issue 10), behind "Authorization: Bearer <clé>":
//
//   POST /v1/documents/{id}/signing                 start ({"bailleur": "<id or name>"} for tripartite forms): 201
//   GET  /v1/documents/{id}/signing                 signatories and states (owner; the landlord named)
//   POST /v1/documents/{id}/signing/{signatoryId}   {"method": "in_person"|"account", "accepted": true|false,
//                                                    "witness": "…", "image": "data:image/png;base64,…", "typedName": "…"}
//   GET  /v1/documents/{id}/signed.pdf              the sealed PDF/A-1b (owner); 409 until everyone signed
//   POST /v1/verify                                 body: the PDF bytes (any Content-Type); JSON report
// What the caller may not see is 404. See docs/signatures.md.
#include <memory>

#include "http/HttpServer.h"
#include "service/SigningService.h"

namespace passerelle::http {

void addSigningRoutes(Router& router, std::shared_ptr<const service::SigningService> service);

// The JSON report of a verification (also printed by `passerelle verify --json`).
Poco::JSON::Object::Ptr verifyToJson(const service::VerifyView& v);

} // namespace passerelle::http
