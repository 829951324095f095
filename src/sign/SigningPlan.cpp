#include "sign/SigningPlan.h"

#include <algorithm>

#include <Poco/JSON/Array.h>

namespace passerelle::sign {

namespace {

Poco::Dynamic::Var lookup(const Poco::JSON::Object::Ptr& obj, const std::string& dotted) {
    Poco::JSON::Object::Ptr cur = obj;
    std::size_t start = 0;
    while (cur) {
        std::size_t dot = dotted.find('.', start);
        std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!cur->has(key)) return {};
        Poco::Dynamic::Var v = cur->get(key);
        if (dot == std::string::npos) return v;
        if (v.type() != typeid(Poco::JSON::Object::Ptr)) return {};
        cur = v.extract<Poco::JSON::Object::Ptr>();
        start = dot + 1;
    }
    return {};
}

std::string text(const Poco::Dynamic::Var& v) {
    if (v.isEmpty()) return "";
    try {
        return v.convert<std::string>();
    } catch (...) {
        return "";
    }
}

// "{a.b} {c}" with values read from `scope`; collapses the spaces an absent value leaves.
std::string fill(const std::string& pattern, const Poco::JSON::Object::Ptr& scope) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern[i] == '{') {
            std::size_t close = pattern.find('}', i);
            if (close != std::string::npos) {
                out += text(lookup(scope, pattern.substr(i + 1, close - i - 1)));
                i = close + 1;
                continue;
            }
        }
        out.push_back(pattern[i++]);
    }
    std::string collapsed;
    for (char c : out) {
        if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
        collapsed.push_back(c);
    }
    while (!collapsed.empty() && (collapsed.back() == ' ' || collapsed.back() == ',')) collapsed.pop_back();
    return collapsed;
}

} // namespace

bool isSignable(const forms::FormDef& form) { return form.signing && form.signing->getArray("signatories"); }

Result<std::vector<PlannedSignatory>> planSignatories(const forms::FormDef& form, const Poco::JSON::Object::Ptr& data) {
    if (!isSignable(form))
        return Status::failedPrecondition("not_signable", "Le formulaire « " + form.id + " » ne se signe pas dans Passerelle.");
    std::vector<std::string> order;
    if (auto o = form.signing->getArray("order"))
        for (unsigned i = 0; i < o->size(); ++i) order.push_back(o->getElement<std::string>(i));
    auto rank = [&](const std::string& party) {
        auto it = std::find(order.begin(), order.end(), party);
        return static_cast<int>(it - order.begin());
    };
    std::vector<PlannedSignatory> out;
    int box = 0;
    auto specs = form.signing->getArray("signatories");
    for (unsigned i = 0; i < specs->size(); ++i) {
        auto spec = specs->getObject(i);
        if (!spec) continue;
        const std::string party = spec->optValue<std::string>("party", "");
        const bool hasBox = spec->optValue<bool>("box", true);
        const std::string name = spec->optValue<std::string>("name", "");
        const std::string capacity = spec->optValue<std::string>("capacity", "");
        std::vector<Poco::JSON::Object::Ptr> scopes;
        const std::string forEach = spec->optValue<std::string>("forEach", "");
        if (forEach.empty()) scopes.push_back(data);
        else {
            Poco::Dynamic::Var rows = lookup(data, forEach);
            if (rows.type() == typeid(Poco::JSON::Array::Ptr)) {
                auto arr = rows.extract<Poco::JSON::Array::Ptr>();
                auto when = spec->getObject("when");
                for (unsigned r = 0; r < arr->size(); ++r) {
                    auto row = arr->getObject(r);
                    if (!row) continue;
                    if (when) {
                        std::string v = text(lookup(row, when->optValue<std::string>("field", "")));
                        auto in = when->getArray("in");
                        bool match = false;
                        for (unsigned k = 0; in && k < in->size(); ++k) match = match || in->getElement<std::string>(k) == v;
                        if (!match) continue;
                    }
                    scopes.push_back(row);
                }
            }
        }
        for (const auto& scope : scopes) {
            PlannedSignatory s;
            s.party = party;
            s.name = fill(name, scope);
            // The capacity may name document-level fields even inside forEach.
            s.capacity = fill(capacity, scope);
            if (s.capacity.empty() && !capacity.empty()) s.capacity = fill(capacity, data);
            s.box = hasBox ? box++ : -1;
            out.push_back(std::move(s));
        }
    }
    if (out.empty())
        return Status::invalidArgument("no_signatory", "Le document ne désigne aucun signataire.");
    for (const auto& s : out)
        if (s.name.empty())
            return Status::invalidArgument("signatory_unnamed", "Un signataire (" + s.party + ") n'a pas de nom dans le document.");
    std::stable_sort(out.begin(), out.end(), [&](const PlannedSignatory& a, const PlannedSignatory& b) { return rank(a.party) < rank(b.party); });
    for (std::size_t i = 0; i < out.size(); ++i) out[i].position = static_cast<int>(i);
    return out;
}

} // namespace passerelle::sign
