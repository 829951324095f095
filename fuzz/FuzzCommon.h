#pragma once
// Shared by the libFuzzer harnesses (fuzz/README.md): the repository's catalog,
// loaded once, and the "<form>\n<json>" input convention of the render harnesses
// (the seed corpus is built from examples/ by scripts/fuzz).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "service/RenderService.h"

namespace passerelle::fuzz {

// PASSERELLE_SOURCE_DIR (set by scripts/fuzz) or the current directory.
inline std::string sourceDir() {
    const char* d = std::getenv("PASSERELLE_SOURCE_DIR");
    return d && *d ? d : ".";
}

inline const service::Catalog& catalog() {
    static const service::Catalog c = [] {
        const std::string root = sourceDir();
        auto r = service::Catalog::load(root + "/forms", root + "/templates", root + "/fonts");
        if (!r.isOk()) {
            std::fprintf(stderr, "catalog: %s\n", r.status().toString().c_str());
            std::abort();
        }
        return r.value();
    }();
    return c;
}

// Splits "<form id>\n<json>"; without a known form id on the first line, the form
// is chosen by the first byte and the whole input is the JSON.
inline std::pair<std::shared_ptr<const forms::FormDef>, std::string> splitInput(const std::string& in) {
    auto all = catalog().forms->all();
    std::size_t nl = in.find('\n');
    if (nl != std::string::npos && nl < 64)
        if (auto def = catalog().forms->find(in.substr(0, nl))) return {def, in.substr(nl + 1)};
    std::size_t pick = in.empty() ? 0 : static_cast<unsigned char>(in[0]) % all.size();
    return {all[pick], in};
}

[[noreturn]] inline void finding(const std::string& what) {
    std::fprintf(stderr, "FINDING: %s\n", what.c_str());
    std::abort();
}

} // namespace passerelle::fuzz
