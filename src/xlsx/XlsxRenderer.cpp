#include "xlsx/XlsxRenderer.h"

namespace passerelle::xlsx {

// Workbook writers are added per form (budget-annexe, activite, grille-capacite-habiter).
bool supports(const std::string&) { return false; }

Result<std::string> render(const forms::FilledForm& filled, const XlsxOptions&) {
    return Status::notFound("format_unsupported", "Le formulaire « " + filled.form->id + " » n'existe pas au format XLSX.");
}

} // namespace passerelle::xlsx
