// bytes -> JSON -> validation -> render, for every form and every format it supports.
// Contract checked: no crash, no sanitizer report, no exception, never a 500-class
// status for input (Internal), and a successful PDF/XLSX is non-empty.
#include <cstdint>

#include "FuzzCommon.h"
#include "forms/FormRegistry.h"

using namespace passerelle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 256 * 1024) return 0;
    const std::string in(reinterpret_cast<const char*>(data), size);
    auto [def, text] = fuzz::splitInput(in);
    try {
        auto json = forms::parseJsonObject(text);
        if (!json.isOk()) {
            if (json.status().code() == Status::Code::Internal) fuzz::finding("parse: " + json.status().toString());
            return 0;
        }
        service::RenderService svc(fuzz::catalog());
        for (const auto& format : def->formats) {
            service::RenderRequest req;
            req.form = def->id;
            req.format = format;
            req.data = json.value();
            req.documentId = "doc_fuzz";
            auto r = svc.render(req);
            if (!r.isOk()) {
                if (r.status().code() == Status::Code::Internal) fuzz::finding(def->id + " " + format + ": " + r.status().toString());
                continue;
            }
            if (r.value().bytes.empty()) fuzz::finding(def->id + " " + format + ": empty output");
        }
    } catch (const std::exception& e) {
        fuzz::finding(std::string("exception: ") + e.what());
    }
    return 0;
}
