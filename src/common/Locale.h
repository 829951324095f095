#pragma once
// The numeric locale invariant (issue 15 §6). libxlsxwriter 1.1.4 formats its
// numbers with printf, which follows LC_NUMERIC: under a French locale it
// writes width="58,7109375" and <v>0,1779…</v>, and readers refuse the file.
// libharu formats PDF operators the same way. Passerelle therefore runs with
// LC_NUMERIC = "C" whatever the environment says; the other categories
// (LC_CTYPE…) are left as they are.
namespace passerelle {

// Sets LC_NUMERIC to "C" for the process; returns whether printf("%.1f", 0.5)
// then gives "0.5". Call once at start-up, before any thread renders.
bool enforceCNumericLocale();

} // namespace passerelle
