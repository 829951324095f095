#pragma once
// Every setting of passerelle in one table: its property key (passerelle.KEY in a
// .properties file), its command-line option, its environment variable, its group
// in `passerelle --help`, its default and whether it is a secret. Precedence
// (docs/operations.md): command line > environment > properties file > default.
//
// The table drives the environment layer of the configuration, the French help
// (wrapped at word boundaries, never inside a word) and `passerelle config check`.
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>

namespace passerelle::app {

struct Setting {
    std::string key;          // "port" → property passerelle.port
    std::string option;       // "port" → --port; "" when only a property
    std::string shortOption;  // "p" → -p; ""
    std::string env;          // "PASSERELLE_PORT"; "" when not from the environment (per-command arguments)
    std::string argument;     // "N"; "" for a flag
    std::string group;        // heading in --help
    std::string help;         // French, one sentence or two
    std::string fallback;     // shown default ("" : none, or derived)
    bool secret = false;      // never printed (config check shows « défini, masqué »)
};

// The table, in --help order.
const std::vector<Setting>& settings();
const Setting* findSetting(const std::string& key);

// A configuration layer holding the passerelle.* values found in `environ` (or `env` in tests).
Poco::AutoPtr<Poco::Util::MapConfiguration> environmentLayer();
Poco::AutoPtr<Poco::Util::MapConfiguration> environmentLayer(const std::map<std::string, std::string>& env);

// Where the effective value of a key comes from.
enum class Source { CommandLine, Environment, File, Default };
const char* sourceName(Source s); // « ligne de commande », « environnement », « fichier », « défaut »

// The help text of `passerelle --help`, wrapped at `width` columns.
void printHelp(std::ostream& out, int width = 80);

// Writes `text` wrapped at `width` columns at spaces (a word longer than a line stands alone
// on its line, never cut), each line after the first indented by `indent` spaces.
void wrap(std::ostream& out, const std::string& text, int width, int firstColumn, int indent);

// A database URL with its password replaced by "***".
std::string maskedUrl(const std::string& url);

// `passerelle config check`: prints every setting with its effective value and source
// (secrets masked) and returns the problems found (empty: fine).
std::vector<std::string> printEffectiveConfiguration(std::ostream& out, const Poco::Util::AbstractConfiguration& config,
                                                     const std::map<std::string, Source>& sources);

} // namespace passerelle::app
