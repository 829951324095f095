#include "common/Status.h"

namespace passerelle {

std::string Status::toString() const {
    if (isOk()) return "OK";
    std::string s = _message + " [" + _errorCode + "]";
    for (const auto& d : _details) {
        s += "\n  " + (d.path.empty() ? std::string("/") : d.path) + " : " + d.message + " [" + d.rule + "]";
    }
    return s;
}

} // namespace passerelle
