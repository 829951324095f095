#pragma once
// CopyContent: the permitted data of a recipient copy (consent::permittedData,
// stored as Transmission::permittedJson) as sections for a page, labelled from
// the form definition. It shows what the data holds and nothing else: it never
// reads the dossier or the original document, so a page built from it shows
// only what the gate let through.
//
// Sections (mstch): {title, groups: [{hasTitle, title, hasEntries, entries:
// [{label, value}], tables: [{caption, headers: [{label}], rows: [{cells:
// [{value}]}]}]}]}: one section per top-level group or table, one group per
// group inside it (titled by its label path); the top-level scalar fields go
// to a first section « Informations générales ».
#include <string>

#include <Poco/JSON/Object.h>
#include <mstch/mstch.hpp>

#include "forms/FormDef.h"

namespace passerelle::web {

mstch::array copySections(const forms::FormDef& def, const Poco::JSON::Object::Ptr& data);

// The label path of a dotted field path ("affil.besoinAccompagnement.sante" → "Grille AFFIL › … › Santé…");
// a withheld row ("objectifs[2]") reads « Objectifs, ligne 3 ».
std::string fieldLabelPath(const forms::FormDef& def, const std::string& dottedPath);

} // namespace passerelle::web
