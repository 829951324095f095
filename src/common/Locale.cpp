#include "common/Locale.h"

#include <clocale>
#include <cstdio>
#include <cstring>

namespace passerelle {

bool enforceCNumericLocale() {
    std::setlocale(LC_NUMERIC, "C");
    char buf[8];
    std::snprintf(buf, sizeof buf, "%.1f", 0.5);
    return std::strcmp(buf, "0.5") == 0;
}

} // namespace passerelle
