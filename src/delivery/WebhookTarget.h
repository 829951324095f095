#pragma once
// Webhook targets (issue 11 item 8): where a push may go, checked when the URL is
// configured and again at every delivery, and the one HTTP(S) POST that sends it.
//
// Rules (WebhookTargetPolicy):
// - http:// and https:// only. https:// is verified (Poco NetSSL, the system CA store
//   plus the optional `caFile`; the certificate must name the host).
// - A host named in `allowHosts` (exact, case-insensitive: a name or an IP literal) may
//   use http:// and internal addresses: that is how loopback receivers (tests, the README
//   walk-through, a self-hosted landlord on the same machine) are allowed, explicitly.
// - Any other host: https:// is required, and every address it resolves to must be
//   public: 0.0.0.0/8, 10/8, 100.64/10, 127/8, 169.254/16 (incl. the cloud metadata
//   169.254.169.254), 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, multicast and reserved,
//   ::, ::1, fc00::/7, fe80::/10, fec0::/10, multicast, and IPv4-mapped / -compatible /
//   NAT64 forms of the IPv4 ranges are refused.
// - At delivery the host is resolved again and the connection goes to the address that
//   was checked (never a second resolution): a name that now points inside is refused
//   (no DNS rebinding between check and connect).
// Default policy: empty allow-list (deny), filled from PASSERELLE_WEBHOOK_ALLOW_HOSTS and
// PASSERELLE_WEBHOOK_CA_FILE when the process starts; the server sets it from its settings.
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/IPAddress.h>

#include "common/Status.h"
#include "delivery/Outbox.h"

namespace passerelle::delivery {

struct WebhookTargetPolicy {
    std::set<std::string> allowHosts; // lower case
    std::string caFile;               // PEM file of extra trusted CAs ("" : the system store only)
    // "a.example, 127.0.0.1" -> {"a.example", "127.0.0.1"}
    static std::set<std::string> parseHosts(const std::string& commaSeparated);
};

// The process-wide policy (thread-safe).
void setWebhookTargetPolicy(WebhookTargetPolicy policy);
WebhookTargetPolicy webhookTargetPolicy();

// Name resolution seam (tests: a resolver that answers another address at delivery time).
// Empty function: the system resolver (Poco::Net::DNS). IP literals are never resolved.
using Resolver = std::function<std::vector<Poco::Net::IPAddress>(const std::string& host)>;
void setWebhookResolver(Resolver resolver);

// Private, loopback, link-local, metadata, unspecified, multicast or reserved (see above).
bool isInternalAddress(const Poco::Net::IPAddress& address);

struct CheckedTarget {
    std::string scheme; // http | https
    std::string host;   // as written in the URL (Host header, TLS name)
    std::uint16_t port = 0;
    std::string pathAndQuery;
    std::vector<Poco::Net::IPAddress> addresses; // checked; connect to these only
};

// The URL's target under `policy`. `resolve`: false at configuration time when the name
// cannot be resolved yet is acceptable (it is checked at every delivery); true at delivery.
// InvalidArgument "bad_webhook_url" with one FieldError on "/url" (French message).
Result<CheckedTarget> checkWebhookTarget(const std::string& url, const WebhookTargetPolicy& policy, bool requireResolution);

// POSTs `body` (JSON) to `url` under the current policy, with `headers`; connects to the
// checked address. Never throws.
SendResult postWebhook(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, int timeoutSeconds);

} // namespace passerelle::delivery
