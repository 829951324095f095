#pragma once
// Search index of dossiers (migration 4, table dossier_index), internal to
// storage: PocoStore writes a dossier's row in the transaction that creates
// or updates it; searchDossiers (AccountStore.cpp) reads it.
#include <string>
#include <string_view>
#include <vector>

#include "storage/Store.h"

namespace Poco::Data {
class Session;
}

namespace passerelle::storage {

// Text as compared by the search: lower-case, accents removed (é → e,
// œ → oe), apostrophes dropped (N’Diaye → ndiaye), hyphens and dashes as
// blanks, runs of blanks as one space.
std::string foldForSearch(std::string_view utf8);
// What a dossier is found by: its reference, the names of the household
// (menage.nom, menage.membres[].nom / prenom) and the numéro unique
// (menage.numeroUnique or logement.numeroUnique), folded.
std::string dossierSearchText(const Dossier& dossier);
// Writes the dossier's search text, keeping its référent (inside the caller's transaction).
void indexDossierIn(Poco::Data::Session& s, const Dossier& dossier);
// Indexes every dossier that has no row yet (migration 4).
void backfillDossierIndex(Poco::Data::Session& s);

// The folded words of a search (each must match).
std::vector<std::string> searchWords(std::string_view query);
// A LIKE pattern (ESCAPE '\\') matching `word` anywhere.
std::string containsPattern(const std::string& word);

// What a received copy is found by in its recipient's inbox (migration 17, table
// transmission_index; ReceivedStore.cpp): its id, its document's id, its dossier's
// reference and every value of its permitted data — only what the gate let through.
std::string transmissionSearchText(const Transmission& t, const std::string& dossierReference);
// Writes an allowed transmission's search row (inside the caller's transaction).
void indexTransmissionIn(Poco::Data::Session& s, const Transmission& t);
// Indexes every allowed transmission that has no row yet (migration 17).
void backfillTransmissionIndex(Poco::Data::Session& s);

} // namespace passerelle::storage
