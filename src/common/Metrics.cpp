#include "common/Metrics.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace passerelle::metrics {

namespace {

// Families known in advance: their HELP and TYPE lines appear from the first scrape.
void describeKnown(Registry& r) {
    r.describe("passerelle_http_requests_total", "counter", "Requêtes HTTP par méthode, modèle de route et statut.");
    r.describe("passerelle_http_request_duration_seconds", "histogram",
               "Durée des requêtes HTTP (de l'en-tête complet à la réponse prête), par méthode et modèle de route.");
    r.describe("passerelle_http_rejected_total", "counter",
               "Requêtes refusées par saturation (429), par raison : queue (file pleine), memory (réponses en attente).");
    r.describe("passerelle_http_throttled_total", "counter", "Réponses 429 (saturation ou limite) par modèle de route.");
    r.describe("passerelle_renders_total", "counter", "Rendus de documents par formulaire, format et issue (ok, invalid, error).");
    r.describe("passerelle_render_duration_seconds", "histogram", "Durée des rendus de documents par formulaire et format.");
    r.describe("passerelle_consent_decisions_total", "counter",
               "Décisions de la porte du consentement par code (allowed, no_consent, withdrawn…).");
    r.describe("passerelle_delivery_attempts_total", "counter",
               "Tentatives de livraison des webhooks par issue (delivered, retry, dead).");
    r.describe("passerelle_db_session_wait_seconds", "histogram",
               "Attente d'une session de base de données (verrou d'écriture SQLite compris).");
    r.describe("passerelle_db_pool_exhausted_total", "counter", "Demandes de session refusées : pool de sessions épuisé.");
}

std::string labelText(const Labels& labels, const std::string& extraName = "", const std::string& extraValue = "") {
    if (labels.empty() && extraName.empty()) return "";
    std::string s = "{";
    bool first = true;
    for (const auto& [k, v] : labels) {
        if (!first) s += ",";
        first = false;
        s += k + "=\"" + escapeLabel(v) + "\"";
    }
    if (!extraName.empty()) {
        if (!first) s += ",";
        s += extraName + "=\"" + extraValue + "\"";
    }
    return s + "}";
}

} // namespace

const std::vector<double>& Registry::buckets() {
    static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    return b;
}

Registry& Registry::global() {
    static Registry* r = [] {
        auto* reg = new Registry;
        describeKnown(*reg);
        return reg;
    }();
    return *r;
}

void Registry::describe(const std::string& name, const std::string& type, const std::string& help) {
    std::lock_guard<std::mutex> g(_mutex);
    auto& f = _families[name];
    f.type = type;
    f.help = help;
}

void Registry::inc(const std::string& name, const Labels& labels, double by) {
    std::lock_guard<std::mutex> g(_mutex);
    auto& f = _families[name];
    if (f.type.empty()) f.type = "counter";
    f.counters[labels] += by;
}

void Registry::observe(const std::string& name, const Labels& labels, double seconds) {
    std::lock_guard<std::mutex> g(_mutex);
    auto& f = _families[name];
    if (f.type.empty()) f.type = "histogram";
    auto& h = f.histograms[labels];
    const auto& b = buckets();
    if (h.counts.empty()) h.counts.assign(b.size(), 0);
    for (std::size_t i = 0; i < b.size(); ++i)
        if (seconds <= b[i]) { ++h.counts[i]; break; }
    ++h.count;
    h.sum += seconds;
}

void Registry::gauge(const std::string& name, const std::string& help, GaugeReader read, const std::string& type) {
    std::lock_guard<std::mutex> g(_mutex);
    auto& f = _families[name];
    f.type = type;
    f.help = help;
    f.gauge = std::move(read);
}

void Registry::removeGauges() {
    std::lock_guard<std::mutex> g(_mutex);
    for (auto it = _families.begin(); it != _families.end();) {
        if (it->second.gauge) it = _families.erase(it);
        else ++it;
    }
}

double Registry::counterValue(const std::string& name, const Labels& labels) const {
    std::lock_guard<std::mutex> g(_mutex);
    auto f = _families.find(name);
    if (f == _families.end()) return 0;
    auto c = f->second.counters.find(labels);
    return c == f->second.counters.end() ? 0 : c->second;
}

std::string Registry::render() const {
    // Gauge readers may query the database: call them outside the lock.
    std::vector<std::pair<std::string, GaugeReader>> readers;
    {
        std::lock_guard<std::mutex> g(_mutex);
        for (const auto& [name, f] : _families)
            if (f.gauge) readers.emplace_back(name, f.gauge);
    }
    std::map<std::string, std::vector<std::pair<Labels, double>>> gaugeValues;
    for (auto& [name, read] : readers) {
        try {
            gaugeValues[name] = read();
        } catch (...) {
        }
    }
    std::string out;
    std::lock_guard<std::mutex> g(_mutex);
    const auto& b = buckets();
    for (const auto& [name, f] : _families) {
        if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
        out += "# TYPE " + name + " " + (f.type.empty() ? "untyped" : f.type) + "\n";
        for (const auto& [labels, v] : f.counters) out += name + labelText(labels) + " " + formatNumber(v) + "\n";
        for (const auto& [labels, h] : f.histograms) {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < b.size(); ++i) {
                cumulative += h.counts[i];
                out += name + "_bucket" + labelText(labels, "le", formatNumber(b[i])) + " " + std::to_string(cumulative) + "\n";
            }
            out += name + "_bucket" + labelText(labels, "le", "+Inf") + " " + std::to_string(h.count) + "\n";
            out += name + "_sum" + labelText(labels) + " " + formatNumber(h.sum) + "\n";
            out += name + "_count" + labelText(labels) + " " + std::to_string(h.count) + "\n";
        }
        auto gv = gaugeValues.find(name);
        if (gv != gaugeValues.end())
            for (const auto& [labels, v] : gv->second) out += name + labelText(labels) + " " + formatNumber(v) + "\n";
    }
    return out;
}

std::string escapeLabel(const std::string& value) {
    std::string s;
    s.reserve(value.size());
    for (char c : value) {
        if (c == '\\') s += "\\\\";
        else if (c == '"') s += "\\\"";
        else if (c == '\n') s += "\\n";
        else s += c;
    }
    return s;
}

std::string formatNumber(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v)) return "NaN";
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

} // namespace passerelle::metrics
