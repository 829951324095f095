#pragma once
// PageRenditions: a stored PDF shown as page images (svg/SvgPages.h) on the signing page (issue 10),
// so that a tablet without an inline PDF viewer shows every page of what is signed.
//
// What is shown must provably be what is signed: the pages are drawn from a fresh render of the
// document (same form, variant, data and identifier as the stored rendition), and they are given
// out ONLY when that fresh render's PDF has the same SHA-256 as the stored PDF's bytes. Otherwise
// (a form or template changed since, a font changed) there are no pages — FailedPrecondition
// "pages_unverified" — and the page offers the PDF itself instead.
//
// Verified page sets are cached by the stored PDF's SHA-256 (the pages of a given PDF are always
// the same), within `maxCacheBytes` (default 32 MiB), the oldest entry evicted first; a PDF found
// not to match is remembered too (its hash only), so that its page requests do not render again.
// Thread-safe: one instance is shared by every request.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/Status.h"
#include "service/RenderService.h"
#include "storage/Store.h"

namespace passerelle::service {

struct PageSet {
    std::string pdfSha256;            // of the stored PDF the pages were checked against
    std::vector<std::string> pages;   // one SVG document per page, in order
    double widthPt = 0, heightPt = 0; // page size in PDF points
    std::size_t bytes() const;
};

class PageRenditions {
public:
    static constexpr std::size_t DEFAULT_CACHE_BYTES = 32u * 1024 * 1024;

    explicit PageRenditions(std::shared_ptr<const RenderService> renderer, std::size_t maxCacheBytes = DEFAULT_CACHE_BYTES);

    // The pages of `storedPdf` (its bytes), drawn from a fresh render of `request` (format pdf):
    // only when that render's PDF has the stored PDF's SHA-256.
    Result<std::shared_ptr<const PageSet>> pages(const RenderRequest& request, const std::string& storedPdf) const;

    // The pages already verified for `storedPdf` (its bytes), or null: nothing is rendered.
    std::shared_ptr<const PageSet> find(const std::string& storedPdf) const;

    // The pages of a stored revision's PDF (re-rendered as DossierService stored it: the form, the
    // revision's variant and input, the identifier "<document>-r<n>"). The caller checks access.
    Result<std::shared_ptr<const PageSet>> revisionPages(storage::Store& store, const storage::Document& document,
                                                         std::int64_t revision) const;

    // For tests and metrics: how many times a PDF was rendered again, the bytes the cache holds.
    std::size_t renders() const;
    std::size_t cachedBytes() const;

private:
    std::shared_ptr<const PageSet> cached(const std::string& sha) const;
    bool knownMismatch(const std::string& sha) const;
    void remember(std::shared_ptr<const PageSet> set) const;
    void rememberMismatch(const std::string& sha) const;

    std::shared_ptr<const RenderService> _renderer;
    std::size_t _maxBytes;
    mutable std::mutex _mutex;
    mutable std::map<std::string, std::shared_ptr<const PageSet>> _sets;
    mutable std::deque<std::string> _order; // insertion order, oldest first
    mutable std::deque<std::string> _mismatches; // bounded, oldest first
    mutable std::size_t _bytes = 0;
    mutable std::size_t _renders = 0;
};

// The French message shown when a document cannot be shown as pages.
extern const char* const PAGES_UNAVAILABLE_MESSAGE;

} // namespace passerelle::service
