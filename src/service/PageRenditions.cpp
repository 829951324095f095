#include "service/PageRenditions.h"

#include <algorithm>

#include "forms/FormRegistry.h"
#include "storage/ApiKeys.h"

namespace passerelle::service {

const char* const PAGES_UNAVAILABLE_MESSAGE =
    "Les pages de ce document ne peuvent pas être affichées ici : téléchargez le PDF pour le lire en entier avant de signer.";

namespace {
constexpr std::size_t MAX_MISMATCHES = 256;

Status unverified() {
    return Status::failedPrecondition("pages_unverified",
                                      "Le document affiché ne serait pas exactement celui enregistré : ses pages ne sont pas montrées.");
}
} // namespace

std::size_t PageSet::bytes() const {
    std::size_t n = sizeof(PageSet) + pdfSha256.size();
    for (const auto& p : pages) n += p.size();
    return n;
}

PageRenditions::PageRenditions(std::shared_ptr<const RenderService> renderer, std::size_t maxCacheBytes)
    : _renderer(std::move(renderer)), _maxBytes(maxCacheBytes) {}

std::shared_ptr<const PageSet> PageRenditions::cached(const std::string& sha) const {
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _sets.find(sha);
    return it == _sets.end() ? nullptr : it->second;
}

bool PageRenditions::knownMismatch(const std::string& sha) const {
    std::lock_guard<std::mutex> lock(_mutex);
    return std::find(_mismatches.begin(), _mismatches.end(), sha) != _mismatches.end();
}

void PageRenditions::remember(std::shared_ptr<const PageSet> set) const {
    const std::size_t size = set->bytes();
    std::lock_guard<std::mutex> lock(_mutex);
    if (size > _maxBytes || _sets.count(set->pdfSha256)) return; // too large to keep, or kept by another request
    // Evict the oldest sets until the new one fits.
    while (_bytes + size > _maxBytes && !_order.empty()) {
        auto it = _sets.find(_order.front());
        if (it != _sets.end()) {
            _bytes -= it->second->bytes();
            _sets.erase(it);
        }
        _order.pop_front();
    }
    _order.push_back(set->pdfSha256);
    _bytes += size;
    _sets.emplace(set->pdfSha256, std::move(set));
}

void PageRenditions::rememberMismatch(const std::string& sha) const {
    std::lock_guard<std::mutex> lock(_mutex);
    if (std::find(_mismatches.begin(), _mismatches.end(), sha) != _mismatches.end()) return;
    if (_mismatches.size() >= MAX_MISMATCHES) _mismatches.pop_front();
    _mismatches.push_back(sha);
}

Result<std::shared_ptr<const PageSet>> PageRenditions::pages(const RenderRequest& request, const std::string& storedPdf) const {
    const std::string sha = storage::sha256Hex(storedPdf);
    if (auto hit = cached(sha)) return hit;
    if (knownMismatch(sha)) return unverified();
    if (request.format != "pdf") return unverified();
    auto filled = _renderer->validate(request.form, request.data);
    if (!filled.isOk()) return unverified(); // the stored input no longer fills the form: it would not render the same
    {
        std::lock_guard<std::mutex> lock(_mutex);
        ++_renders;
    }
    auto fresh = _renderer->renderFilledWithPages(filled.value(), request);
    if (!fresh.isOk()) {
        // A time limit or a transient failure says nothing about the PDF: not remembered.
        if (fresh.status().code() == Status::Code::Internal || fresh.status().code() == Status::Code::Unavailable)
            return fresh.status();
        rememberMismatch(sha);
        return unverified();
    }
    // The proof: the pages come from a render whose PDF is, byte for byte, the stored one.
    if (storage::sha256Hex(fresh.value().pdf.bytes) != sha) {
        rememberMismatch(sha);
        return unverified();
    }
    auto set = std::make_shared<PageSet>();
    set->pdfSha256 = sha;
    set->pages = std::move(fresh.value().svgPages);
    set->widthPt = fresh.value().widthPt;
    set->heightPt = fresh.value().heightPt;
    std::shared_ptr<const PageSet> shared = set;
    remember(shared);
    return shared;
}

Result<std::shared_ptr<const PageSet>> PageRenditions::revisionPages(storage::Store& store, const storage::Document& document,
                                                                     std::int64_t revision) const {
    auto pdf = store.fetchArtefact(document.id, revision, "pdf");
    if (!pdf.isOk()) return pdf.status();
    const std::string sha = storage::sha256Hex(pdf.value().bytes);
    if (auto hit = cached(sha)) return hit;
    if (knownMismatch(sha)) return unverified();
    auto rev = store.findRevision(document.id, revision);
    if (!rev.isOk()) return rev.status();
    auto data = forms::parseJsonObject(rev.value().inputJson);
    if (!data.isOk()) return unverified();
    // As DossierService::renderRevision() rendered it.
    RenderRequest req;
    req.form = document.form;
    req.variant = rev.value().variant;
    req.format = "pdf";
    req.data = data.value();
    req.documentId = document.id + "-r" + std::to_string(revision);
    return pages(req, pdf.value().bytes);
}

std::shared_ptr<const PageSet> PageRenditions::find(const std::string& storedPdf) const {
    return cached(storage::sha256Hex(storedPdf));
}

std::size_t PageRenditions::renders() const {
    std::lock_guard<std::mutex> lock(_mutex);
    return _renders;
}

std::size_t PageRenditions::cachedBytes() const {
    std::lock_guard<std::mutex> lock(_mutex);
    return _bytes;
}

} // namespace passerelle::service
