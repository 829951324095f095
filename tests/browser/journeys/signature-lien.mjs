// Journey: a household member signs with her personal single-use link (issue 10).
//  1. The association's référente starts the signing of a contrat d'objectifs and sends Aïcha
//     Kaddouri a personal link (the partnership with the landlord allows links).
//  2. The link arrives once, by e-mail, in an SMTP sink; neither the subject, the headers nor
//     the body name the household or its address.
//  3. In a fresh browser (no session, no account) she opens the link, reads, ticks « Lu et
//     approuvé », draws her signature and confirms: the signature is recorded and the
//     association's page shows it.
//  4. The same link again: a French refusal (already used), no signing form.
// axe-core on every page; screenshots in build/screenshots/signature-lien-*.png.
import { assert, signIn, mainText } from '../lib/steps.mjs';
import { clickAndWait } from '../lib/forms.mjs';
import { SmtpSink } from '../lib/smtp-sink.mjs';
import { PASSWORD, setupPartners, mailThrough, newContract, sendLink, drawSignature, linkIn } from '../lib/signing.mjs';

const HOUSEHOLD_EMAIL = 'menage-7c41@example.net';
let sink;

export async function setup(server) {
  sink = await SmtpSink.start();
  mailThrough(server, sink);
  setupPartners(server);
}

// What the household's file holds and an e-mail must never carry.
function householdCanaries(data) {
  const out = [];
  for (const p of [...data.menage.signataires, ...data.menage.autresOccupants]) out.push(p.prenom, p.nom);
  out.push(data.menage.telephone, data.logement.adresse, data.logement.codePostal, data.logement.commune,
    data.logement.referenceLogement, 'Jardins');
  return out;
}

const signedWithLink = {
  name: 'lien personnel : reçu une fois par courriel, signé sans compte, puis refusé à la réouverture',
  async run(h, server) {
    const { doc, data } = await newContract(server, 'AMLI-2026-0411');
    const page = await h.newPage();
    await signIn(page, 'julie@amli.fr', PASSWORD);
    await sendLink(page, doc, HOUSEHOLD_EMAIL);
    await h.checkPage(page, 'signature-lien-envoye');

    // One message for the household's address, and only one.
    const [mail] = await sink.waitForRecipient(HOUSEHOLD_EMAIL);
    assert.ok(mail, 'a message to the household');
    assert.equal(mail.headers['x-passerelle-kind'], 'signing_link');
    assert.ok((mail.headers.to || '').includes(HOUSEHOLD_EMAIL), mail.headers.to);
    assert.equal(mail.subject, 'Passerelle : Document à signer : Contrat d’objectifs tripartite');
    assert.ok(mail.text.includes('AMLI vous invite à signer un document'), mail.text);
    assert.ok(mail.text.includes('Ce lien ne sert qu’une fois'), mail.text);
    const path = linkIn(server, mail);
    // Canary: nothing of the household in the subject, the headers or the body.
    const whole = `${mail.subject}\n${Object.entries(mail.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n${mail.text}`;
    // Compared without case nor accents: « aicha.kaddouri@… » would be caught too.
    const plain = (t) => t.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    for (const c of householdCanaries(data)) assert.ok(!plain(whole).includes(plain(c)), `« ${c} » is not in the e-mail:\n${whole}`);

    // The household member, in her own browser: no session, no account.
    const home = await h.newPage();
    const res = await home.goto(path);
    assert.equal(res.status(), 200);
    let text = await mainText(home);
    assert.ok(/Signataire\s+Aïcha Kaddouri/.test(text), text);
    assert.ok(/Ce lien personnel sert une seule fois ; il expire le \d{2}\/\d{2}\/\d{4}/.test(text), text);
    assert.equal(await home.getByRole('link', { name: 'Se déconnecter' }).count(), 0, 'no session');
    // The whole document as page images (SVG of the stored PDF), each loaded; the PDF downloads too.
    assert.equal(await home.locator('iframe').count(), 0, 'no embedded PDF viewer');
    const images = home.locator('img.signature__page');
    const pages = await images.count();
    assert.ok(pages >= 2, `page images: ${pages}`);
    for (let i = 0; i < pages; i++) {
      const img = images.nth(i);
      assert.ok((await img.getAttribute('src')).startsWith(`${path}/pages/${i + 1}.svg`), await img.getAttribute('src'));
      await img.scrollIntoViewIfNeeded();
      await home.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 15000 });
    }
    const pdfSrc = `${path}/document.pdf`;
    assert.equal(await home.locator(`a[href="${pdfSrc}"]`).count() >= 1, true, 'the PDF link');
    const pdf = await home.request.get(pdfSrc);
    assert.equal(pdf.status(), 200);
    assert.equal((await pdf.body()).subarray(0, 5).toString(), '%PDF-');
    await h.checkPage(home, 'signature-lien-ouvert');
    await home.getByLabel('Lu et approuvé').check();
    await drawSignature(home, 2);
    await clickAndWait(home, home.getByRole('button', { name: 'Confirmer la signature' }));
    text = await mainText(home);
    assert.ok(text.includes('Le lien que vous avez reçu ne sert plus.'), text);
    await h.checkPage(home, 'signature-lien-signe');

    // The same link again: refused in French, nothing to sign.
    const again = await home.goto(path);
    assert.equal(again.status(), 409);
    text = await mainText(home);
    assert.ok(text.includes('Ce lien de signature a déjà servi : il ne sert qu’une fois.'), text);
    assert.equal(await home.getByRole('button', { name: 'Confirmer la signature' }).count(), 0);
    assert.equal((await home.request.get(`${path}/document.pdf`)).status(), 409, 'the PDF is no longer served');
    await h.checkPage(home, 'signature-lien-deja-utilise');

    // The association sees the signature, made by link.
    await page.goto(`/documents/${doc}/signature`);
    assert.equal(await page.locator('.signataires .etiquette', { hasText: 'Signé' }).count(), 1);
    text = await mainText(page);
    assert.ok(/Aïcha Kaddouri — Membre du ménage signataire \(Ménage\) Signé le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2} — Par lien personnel à usage unique/i.test(text), text);
    await h.checkPage(page, 'signature-lien-suivi');

    // Still one message for the household: no copy of the link went anywhere else.
    const toHousehold = sink.messages.filter((m) => m.rcpt.includes(HOUSEHOLD_EMAIL));
    assert.equal(toHousehold.length, 1);
    for (const m of sink.messages.filter((x) => x !== mail)) assert.ok(!m.raw.includes(path), 'the link only in its own message');
  },
};

export default [signedWithLink];
