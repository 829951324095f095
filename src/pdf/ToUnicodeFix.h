#pragma once
// libharu 2.3.0 gives each embedded UTF-8 (Type0, Identity-H) font a ToUnicode
// stream that is a copy of an encoding CMap ("begincidrange <0000> <FFFF> 0"),
// which the PDF specification does not allow in a ToUnicode CMap (poppler:
// "Invalid 'begincidrange' operator in ToUnicode CMap"). Readers guess an
// identity mapping, so text extraction happens to work, but stricter readers
// may not copy or search the text.
//
// With libharu's UTF-8 encoder the codes in the content streams are the UTF-16
// code units of the text (Basic Multilingual Plane), so the correct ToUnicode
// CMap is the identity expressed with bfrange. This pass rewrites those streams
// in the serialised PDF (still FlateDecode, with a direct /Length), shifts the
// cross-reference offsets and startxref accordingly. It only acts on the exact
// layout libharu writes; anything unexpected leaves the bytes untouched.
#include <string>

namespace passerelle::pdf {

// Returns the number of ToUnicode streams rewritten (0: bytes unchanged).
int fixToUnicodeCMaps(std::string& pdf);

// The identity ToUnicode CMap for two-byte codes (exposed for tests).
std::string identityToUnicodeCMap();

} // namespace passerelle::pdf
