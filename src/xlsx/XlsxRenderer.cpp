#include "xlsx/XlsxRenderer.h"

#include "xlsx/Writers.h"

namespace passerelle::xlsx {

namespace {

using Writer = Result<std::string> (*)(const forms::FilledForm&, const XlsxOptions&);

Writer writerFor(const std::string& formId) {
    if (formId == "budget-annexe") return detail::writeBudget;
    if (formId == "activite") return detail::writeActivite;
    if (formId == "grille-capacite-habiter") return detail::writeGrille;
    return nullptr;
}

} // namespace

bool supports(const std::string& formId) { return writerFor(formId) != nullptr; }

Result<std::string> render(const forms::FilledForm& filled, const XlsxOptions& options) {
    Writer w = filled.form ? writerFor(filled.form->id) : nullptr;
    if (!w) {
        return Status::notFound("format_unsupported",
                                "Le formulaire « " + (filled.form ? filled.form->id : std::string()) + " » n'existe pas au format XLSX.");
    }
    // Only the grille writer knows how to leave fields out; funders' workbooks hold no personal data
    // and are never sent to a landlord, so a redacted copy of them is a caller error, not a silent full copy.
    if (!options.redacted.empty() && filled.form->id != "grille-capacite-habiter")
        return Status::internal("redaction_unsupported", "Le format XLSX ne prend pas en charge les copies expurgées de ce formulaire.");
    return w(filled, options);
}

} // namespace passerelle::xlsx
