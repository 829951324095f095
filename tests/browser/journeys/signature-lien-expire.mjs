// Journey: an expired personal signing link (issue 10). The links of this server live
// 0 minutes (passerelle.signing.linkMinutes = 0): the link that arrives by e-mail answers a
// French expiry message, serves no PDF, accepts no signature, and nothing is recorded.
// axe-core on every page; screenshots in build/screenshots/signature-lien-expire-*.png.
import { assert, signIn, mainText } from '../lib/steps.mjs';
import { SmtpSink } from '../lib/smtp-sink.mjs';
import { PASSWORD, setupPartners, mailThrough, newContract, sendLink, linkIn, api } from '../lib/signing.mjs';

const HOUSEHOLD_EMAIL = 'menage-90e2@example.net';
let sink;

export async function setup(server) {
  sink = await SmtpSink.start();
  mailThrough(server, sink);
  server.setConfig('signing.linkMinutes', 0);
  setupPartners(server);
}

const expired = {
  name: 'lien personnel expiré : message en français, aucune signature enregistrée',
  async run(h, server) {
    const { doc } = await newContract(server, 'AMLI-2026-0412');
    const page = await h.newPage();
    await signIn(page, 'julie@amli.fr', PASSWORD);
    await sendLink(page, doc, HOUSEHOLD_EMAIL);
    const [mail] = await sink.waitForRecipient(HOUSEHOLD_EMAIL);
    assert.ok(mail, 'a message to the household');
    const path = linkIn(server, mail);

    const home = await h.newPage();
    const res = await home.goto(path);
    assert.equal(res.status(), 409);
    let text = await mainText(home);
    assert.ok(text.includes('Ce lien de signature a expiré. Demandez un nouveau lien à l’association.'), text);
    assert.equal(await home.getByRole('button', { name: 'Confirmer la signature' }).count(), 0, 'no signing form');
    assert.equal(await home.locator('iframe, img.signature__page').count(), 0, 'no document shown');
    assert.equal((await home.request.get(`${path}/pages/1.svg`)).status(), 409, 'no page image through an expired link (as the PDF)');
    await h.checkPage(home, 'signature-lien-expire');
    assert.equal((await home.request.get(`${path}/document.pdf`)).status(), 409, 'no PDF through an expired link');

    // A signature posted anyway (the form as the page would have sent it) is refused.
    const posted = await home.request.post(path, {
      form: { luEtApprouve: 'oui', nomSaisi: 'Aïcha Kaddouri' },
      headers: { Origin: server.baseUrl },
    });
    assert.equal(posted.status(), 409);
    assert.ok((await posted.text()).includes('Ce lien de signature a expiré'));

    // Nothing recorded: Aïcha Kaddouri still waits, in the page and in the API.
    await page.goto(`/documents/${doc}/signature`);
    assert.equal(await page.locator('.signataires .etiquette', { hasText: 'Signé' }).count(), 0);
    text = await mainText(page);
    assert.ok(/Aïcha Kaddouri — Membre du ménage signataire \(Ménage\) En attente/i.test(text), text);
    const status = await api(server, 'GET', `/v1/documents/${doc}/signing`);
    const aicha = status.signatories.find((s) => s.name === 'Aïcha Kaddouri');
    assert.equal(aicha.state, 'en-attente', JSON.stringify(aicha));
    assert.ok(status.signatories.every((s) => s.state === 'en-attente'), JSON.stringify(status.signatories));
  },
};

export default [expired];
