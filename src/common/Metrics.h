#pragma once
// Process-wide metrics in the Prometheus text format (version 0.0.4), served by
// GET /metrics (docs/operations.md lists every series). Counters and histograms
// are recorded where things happen (HTTP front, RenderService, consent gate,
// delivery loop, store pool); gauges are read at scrape time from callbacks.
// Thread-safe. Labels never carry personal data: route templates, form ids,
// formats, decision codes, statuses.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace passerelle::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
public:
    // The process's registry.
    static Registry& global();

    // Declares a family (HELP and TYPE lines). type: "counter", "histogram" or "gauge".
    void describe(const std::string& name, const std::string& type, const std::string& help);
    void inc(const std::string& name, const Labels& labels = {}, double by = 1);
    // Histogram observation (seconds); buckets 5 ms … 10 s.
    void observe(const std::string& name, const Labels& labels, double seconds);
    // A family whose samples `read` returns at each scrape (replaces one of the same name): a gauge, or a
    // counter kept elsewhere (type "counter").
    using GaugeReader = std::function<std::vector<std::pair<Labels, double>>()>;
    void gauge(const std::string& name, const std::string& help, GaugeReader read, const std::string& type = "gauge");
    void removeGauges();

    // Current value of a counter (tests); 0 when never incremented.
    double counterValue(const std::string& name, const Labels& labels = {}) const;

    // The exposition text.
    std::string render() const;

    static const std::vector<double>& buckets();

private:
    struct Histogram {
        std::vector<std::uint64_t> counts; // per bucket (not cumulative)
        std::uint64_t count = 0;
        double sum = 0;
    };
    struct Family {
        std::string type;
        std::string help;
        std::map<Labels, double> counters;
        std::map<Labels, Histogram> histograms;
        GaugeReader gauge;
    };
    mutable std::mutex _mutex;
    std::map<std::string, Family> _families;
};

// Shorthands on the global registry.
inline void inc(const std::string& name, const Labels& labels = {}, double by = 1) { Registry::global().inc(name, labels, by); }
inline void observe(const std::string& name, const Labels& labels, double seconds) {
    Registry::global().observe(name, labels, seconds);
}

// Label value escaping of the text format (\\, \", \n).
std::string escapeLabel(const std::string& value);
// A number as the text format wants it ("1", "0.25", "+Inf"), whatever the locale.
std::string formatNumber(double v);

} // namespace passerelle::metrics
