#include "sign/SignedDocument.h"

#include <algorithm>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include "pdf/PdfRenderer.h"
#include "sign/ParisTime.h"
#include "sign/PdfA.h"
#include "sign/PdfSeal.h"
#include "sign/SignatureImage.h"

namespace passerelle::sign {

namespace {

const char* partyLabel(const std::string& party) {
    if (party == PARTY_MENAGE) return "Le ménage";
    if (party == PARTY_ASSOCIATION) return "L’association";
    if (party == PARTY_BAILLEUR) return "Le bailleur";
    return "Autre";
}

std::string manifest(const SignedPdfInput& in) {
    Poco::JSON::Object::Ptr m = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    m->set("passerelle", 1);
    m->set("document", in.documentId);
    m->set("form", in.filled->form->id);
    m->set("revision", in.revision);
    m->set("revisionSha256", in.revisionSha256);
    m->set("signing", in.signingId);
    m->set("sealedAt", utcIso(in.sealedAt));
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (const auto& s : in.signatures) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("id", s.id);
        o->set("party", s.signatory.party);
        o->set("name", s.signatory.name);
        o->set("capacity", s.signatory.capacity);
        o->set("method", s.method);
        if (!s.witness.empty()) o->set("witness", s.witness);
        o->set("signedAt", utcIso(s.signedAt));
        o->set("signedAtParis", parisTime(s.signedAt).iso);
        arr->add(o);
    }
    m->set("signatories", arr);
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(m, out);
    return out.str();
}

std::vector<layout::Block> certificateBlocks(const SignedPdfInput& in, const SealKey& key) {
    std::vector<layout::Block> b;
    b.push_back(layout::TitleBlock{"Certificat de signature", in.filled->form->title});
    b.push_back(layout::PairsBlock{{
        {"Document", in.documentId},
        {"Révision signée", std::to_string(in.revision)},
        {"Empreinte SHA-256 de la révision", in.revisionSha256},
        {"Signature", in.signingId},
        {"Scellé le", parisTime(in.sealedAt).french + " (heure de Paris), " + utcIso(in.sealedAt) + " UTC"},
        {"Cachet électronique", key.subject()},
    }});
    b.push_back(layout::ParagraphBlock{"", "Chaque signataire a signé la révision dont l’empreinte figure ci-dessus. "
                                           "Le document est scellé (PAdES) : toute modification ultérieure, même d’un seul octet, "
                                           "rend le scellement invalide. « passerelle verify » le vérifie.", true});
    int n = 0;
    for (const auto& s : in.signatures) {
        b.push_back(layout::HeadingBlock{std::to_string(++n) + ". " + s.signatory.name, 2});
        std::vector<std::pair<std::string, std::string>> rows = {
            {"Partie", partyLabel(s.signatory.party)},
            {"Qualité", s.signatory.capacity.empty() ? "—" : s.signatory.capacity},
            {"Mode de signature", methodLabel(s.method, s.witness)},
            {"Signé le", parisTime(s.signedAt).french + " (heure de Paris) — " + utcIso(s.signedAt) + " UTC"},
            {"Adresse IP", s.ip.empty() ? "—" : s.ip},
            {"Navigateur", s.userAgent.empty() ? "—" : s.userAgent},
        };
        if (!s.typedName.empty()) rows.push_back({"Nom saisi", s.typedName});
        if (!s.imageSha256.empty()) rows.push_back({"Empreinte de l’image", s.imageSha256});
        rows.push_back({"Mention", "« Lu et approuvé »"});
        b.push_back(layout::PairsBlock{rows});
    }
    return b;
}

// Fits an image of w × h pixels in a box, centred, keeping its proportions.
void fit(const RgbImage& im, double bx, double by, double bw, double bh, ImagePlacement& p) {
    double scale = std::min(bw / im.width, bh / im.height);
    p.w = im.width * scale;
    p.h = im.height * scale;
    p.x = bx + (bw - p.w) / 2;
    p.y = by + (bh - p.h) / 2;
}

} // namespace

std::string methodLabel(const std::string& method, const std::string& witness) {
    if (method == "in_person") return "En présence" + (witness.empty() ? std::string() : ", témoin : " + witness);
    if (method == "account") return "Depuis son compte Passerelle";
    if (method == "link") return "Par lien personnel à usage unique";
    return method;
}

Result<SignedPdf> buildSignedPdf(const SignedPdfInput& in, const SealKey& key) {
    if (!in.tpl || !in.filled) return Status::internal("signed_pdf", "Document à signer absent.");
    // Pass 1: the document, each box completed with its signature's date.
    templates::ComposeOptions co{in.documentId, in.revisionDate, {}};
    templates::Composed composed = templates::compose(*in.tpl, *in.filled, co);
    int boxIndex = 0;
    for (auto& block : composed.blocks) {
        auto* sb = std::get_if<layout::SignatureBlock>(&block);
        if (!sb) continue;
        for (auto& party : sb->parties) {
            auto it = std::find_if(in.signatures.begin(), in.signatures.end(),
                                   [&](const SignatureRecord& s) { return s.signatory.box == boxIndex; });
            ++boxIndex;
            if (it == in.signatures.end()) continue;
            party.lines.push_back("Signé le " + parisTime(it->signedAt).french);
            if (!it->typedName.empty()) party.lines.push_back("Signature : " + it->typedName);
        }
    }
    pdf::PdfOptions po;
    po.fontsDir = in.fontsDir;
    po.title = in.filled->form->title;
    po.subject = in.documentId;
    po.embedAllFonts = true;
    auto doc = pdf::render(composed.blocks, composed.setup, po);
    if (!doc.isOk()) return doc.status();

    // Pass 2: images in their boxes (the 55 pt left free at the bottom of each box).
    std::vector<ImagePlacement> images;
    for (const auto& s : in.signatures) {
        if (s.signatory.box < 0 || s.imagePng.empty()) continue;
        if (s.signatory.box >= static_cast<int>(doc.value().signatureBoxes.size())) continue;
        auto rgb = decodePng(s.imagePng, "image");
        if (!rgb.isOk()) return rgb.status();
        const pdf::SignatureBox& box = doc.value().signatureBoxes[static_cast<std::size_t>(s.signatory.box)];
        ImagePlacement p;
        p.page = box.page;
        p.image = rgb.take();
        fit(p.image, box.x + 6, box.y + 4, box.w - 12, 46, p);
        images.push_back(std::move(p));
    }

    // Pass 3: the certificate page, PDF/A-1b.
    layout::PageSetup cs = composed.setup;
    cs.headerLeft = "Certificat de signature";
    cs.headerRight = in.documentId;
    cs.footer = "Certificat de signature du document " + in.documentId + " — page {page} / {pages}";
    auto cert = pdf::render(certificateBlocks(in, key), cs, po);
    if (!cert.isOk()) return cert.status();
    PdfAOptions ao;
    ao.title = in.filled->form->title + " — signé";
    ao.author = "Passerelle";
    ao.subject = in.documentId + " révision " + std::to_string(in.revision);
    ao.createdEpochSeconds = in.sealedAt;
    ao.iccProfilePath = in.iccProfilePath;
    auto pdfa = makePdfA(doc.value().bytes, {cert.value().bytes}, images, ao);
    if (!pdfa.isOk()) return pdfa.status();

    // Pass 4: the seal.
    SealInfo si;
    si.manifestJson = manifest(in);
    si.reason = "Scellement Passerelle du document " + in.documentId + ", révision " + std::to_string(in.revision);
    si.signingTime = pdfDate(in.sealedAt);
    auto sealed = sealPdf(pdfa.value(), key, si);
    if (!sealed.isOk()) return sealed.status();
    SignedPdf out;
    out.bytes = sealed.take();
    out.sha256 = sha256Hex(out.bytes);
    out.pages = doc.value().pages + cert.value().pages;
    return out;
}

} // namespace passerelle::sign
