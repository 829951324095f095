#pragma once
// The Idempotency-Key header on the creating POSTs (issue 15 §5): wraps a route
// handler so that a request carrying "Idempotency-Key: <clé>" is executed at most
// once per organisation and key (for storage::kIdempotencyRetentionSeconds):
//   - same key, same method, path and body: the first answer again (same status,
//     body and Location; header "Idempotent-Replayed: true"), nothing created;
//   - same key, another request: 409 idempotency_key_reused, nothing created;
//   - a key whose request was interrupted between its commit and its answer
//     (a kill at that instant): 409 idempotency_incomplete naming what was created.
// A request refused before anything was stored (validation 400, 403...) leaves no
// record: the same key may be retried once the request is corrected.
// Keys: 1 to 255 visible ASCII characters (a UUID is the usual choice).
// Stateless apart from the store; safe to share between threads.
#include <memory>

#include "http/HttpServer.h"
#include "storage/Store.h"

namespace passerelle::http {

Handler idempotent(std::shared_ptr<storage::Store> store, Handler handler);

} // namespace passerelle::http
