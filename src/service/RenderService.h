#pragma once
// RenderService: the use case "fill and render a document". Validates the
// input against its form, runs derivations, composes the template variant and
// renders PDF or XLSX entirely in memory. Shared by the CLI and the HTTP
// adapter. Immutable after construction; safe to share between threads.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "common/Status.h"
#include "forms/FormRegistry.h"
#include "forms/Validator.h"
#include "templates/Template.h"

namespace passerelle::service {

struct Catalog {
    std::shared_ptr<forms::FormRegistry> forms;
    std::shared_ptr<templates::TemplateRegistry> templates;
    std::string fontsDir;

    // Loads forms/, templates/ and checks fonts/; fails on any invalid definition.
    static Result<Catalog> load(const std::string& formsDir, const std::string& templatesDir, const std::string& fontsDir);
};

struct RenderRequest {
    std::string form;
    std::string variant;              // empty: the form's default variant
    std::string format = "pdf";       // pdf | xlsx
    Poco::JSON::Object::Ptr data;
    std::string documentId;           // empty: derived from the content
    std::set<std::string> redacted;   // fields left out (set by the consent gate only)
    // PDF: embed every font (no base-14 Helvetica), as PDF/A requires; default false.
    bool embedAllFonts = false;
    // Rows left out of tables classified by a column (consent::Decision::excludedRows; set by the gate only).
    std::map<std::string, std::set<std::size_t>> redactedRows;
    // Recipient copies (set by the transmit use case): the text printed under the title (to whom,
    // when, under which consent), and the identifier the footer shows (empty: documentId).
    std::string recipientNotice;
    std::string displayedDocumentId;
};

struct Rendered {
    std::string bytes;
    std::string contentType;
    std::string fileName;
    std::string documentId;
    int pages = 0;
};

// A PDF and, drawn from the same layout, each of its pages as an SVG document (svg/SvgPages.h).
struct RenderedPages {
    Rendered pdf;
    std::vector<std::string> svgPages;
    double widthPt = 0, heightPt = 0; // the page size (every page of a document has the same)
};

class RenderService {
public:
    explicit RenderService(Catalog catalog) : _catalog(std::move(catalog)) {}

    const Catalog& catalog() const { return _catalog; }

    // NotFound for an unknown form; InvalidArgument with every field error otherwise.
    Result<forms::FilledForm> validate(const std::string& form, const Poco::JSON::Object::Ptr& data) const;
    Result<Rendered> render(const RenderRequest& request) const;
    // Renders an already-validated document (used when re-rendering stored documents).
    Result<Rendered> renderFilled(const forms::FilledForm& filled, const RenderRequest& request) const;

    // The same rendering as renderFilled() (format must be "pdf"), with the pages as SVG too.
    Result<RenderedPages> renderFilledWithPages(const forms::FilledForm& filled, const RenderRequest& request) const;

private:
    Result<Rendered> renderValidated(const forms::FilledForm& filled, const RenderRequest& request,
                                     RenderedPages* pages = nullptr) const;
    Catalog _catalog;
};

// Today's date as dd/mm/yyyy (local time).
std::string todayFrench();
// A stable identifier for render-only documents: "<PREFIX>-<10 hex of SHA-256(form + input)>".
std::string contentDocumentId(const std::string& form, const Poco::JSON::Object::Ptr& data);
// The same, for a form with several variants: the variant enters the hash (an empty variant gives
// the identifier above), so two renderings of the same data with different variants never share an id.
std::string contentDocumentId(const std::string& form, const std::string& variant, const Poco::JSON::Object::Ptr& data);

} // namespace passerelle::service
