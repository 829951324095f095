#include "web/PageHelpers.h"

namespace passerelle::web::pages {

std::string inputId(const std::string& pointer) {
    std::string id;
    for (char c : pointer) {
        if (c == '/') {
            if (!id.empty()) id.push_back('-');
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
            id.push_back(c);
        } else {
            id.push_back('_');
        }
    }
    return id.empty() ? "champ" : id;
}

std::map<std::string, std::string> errorsOf(const Status& st, mstch::array& summary, const std::string& fallbackPointer) {
    std::map<std::string, std::string> out;
    for (const auto& d : st.details()) {
        std::string path = d.path.empty() ? fallbackPointer : d.path;
        if (out.count(path)) continue;
        out[path] = d.message;
        summary.push_back(mstch::map{{"id", inputId(path)}, {"message", d.message}});
    }
    if (out.empty() && !st.isOk()) {
        out[fallbackPointer] = st.message();
        summary.push_back(mstch::map{{"id", inputId(fallbackPointer)}, {"message", st.message()}});
    }
    return out;
}

mstch::map inputField(const std::string& pointer, const std::string& label, const std::string& value,
                      const std::map<std::string, std::string>& errors, const std::string& hint) {
    const std::string id = inputId(pointer);
    mstch::map f{{"id", id}, {"name", pointer}, {"label", label}, {"value", value}};
    std::string describedBy;
    if (!hint.empty()) {
        f["hint"] = hint;
        describedBy = id + "-aide";
    }
    auto e = errors.find(pointer);
    if (e != errors.end()) {
        f["error"] = e->second;
        describedBy += (describedBy.empty() ? "" : " ") + id + "-erreur";
    }
    if (!describedBy.empty()) f["describedBy"] = describedBy;
    return f;
}

} // namespace passerelle::web::pages
