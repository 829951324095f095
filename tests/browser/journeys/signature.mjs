// Journeys: signing a contrat d'objectifs tripartite in the browser (issue 10).
//  1. On the association's tablet (1024×768 landscape, then 768×1024 portrait): « Faire signer »,
//     two household members and the association's representative each read the document shown
//     page by page as images in the page (no embedded PDF: every page image loads), tick « Lu et approuvé » and draw their signature with the mouse on the canvas;
//     the référent signed in is the witness. A missing tick is refused with the error summary.
//  2. The association transmits the contract through the consent gate; the landlord's
//     representative signs in to its own account, finds the document in « Documents à signer »,
//     reads its copy (its PDF, downloaded) and signs with the same page.
//  3. The signed PDF downloads; pdfsig reports the seal valid over the whole document and the
//     certificate page lists every signatory.
//  4. Without JavaScript: a household member signs with a typed name (no canvas), the next one
//     refuses: the refusal is visible and the signing stops.
//  5. An unknown signing link answers a French message.
// axe-core on every new page; screenshots in build/screenshots/signature-*.png.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, signIn, signOut, mainText } from '../lib/steps.mjs';
import { readExample, clickAndWait } from '../lib/forms.mjs';
import { drawSignature } from '../lib/signing.mjs';

const PASSWORD = 'un mot de passe solide 2026';
const LANDSCAPE = { width: 1024, height: 768 };
const PORTRAIT = { width: 768, height: 1024 };
let apiKey;

export function setup(server) {
  server.createOrg('AMLI');
  server.createOrg('Présence Habitat', 'bailleur');
  server.cli(['admin', 'create-partnership', 'AMLI', 'Présence Habitat']);
  // The contract journey records a consent in person: this partnership accepts it (issue 11 item 6).
  server.cli(['admin', 'set-partnership-in-person', 'AMLI', 'Présence Habitat', 'on']);
  server.createUser('AMLI', 'julie@amli.fr', 'Julie Schneider', 'membre', PASSWORD);
  server.createUser('Présence Habitat', 'mohamed@presence-habitat.fr', 'Mohamed Boukayouh', 'membre', PASSWORD);
  apiKey = server.cli(['admin', 'create-key', 'AMLI', '--name', 'Julie Schneider']).trim().split('\n').pop().trim();
}

async function api(server, method, path, body) {
  const r = await fetch(server.baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

// A contrat d'objectifs of a new dossier, signed by two household members, the association and the landlord.
async function newContract(server, reference) {
  const data = readExample(server.sourceDir, 'contrat-objectifs-amli-acces.json');
  data.menage.signataires.push({ civilite: 'M.', prenom: 'Karim', nom: 'Kaddouri', dateNaissance: '1981-03-14', qualite: 'cotitulaire' });
  // The household's members, who alone may consent (issue 11 item 6).
  const membres = [{ prenom: 'Aïcha', nom: 'Kaddouri' }, { prenom: 'Karim', nom: 'Kaddouri' }];
  const dossier = await api(server, 'POST', '/v1/dossiers', { reference, menage: { membres } });
  const doc = await api(server, 'POST', '/v1/documents', { form: 'contrat-objectifs', dossier: dossier.id, data });
  return { dossier: dossier.id, doc: doc.id, data };
}

// The document is shown in the page as one image per page (SVG pages of the stored PDF), with no
// embedded PDF: Chromium's PDF viewer is gone from the page. Every page image is scrolled to
// (they load lazily) and must have loaded (naturalWidth > 0); the PDF link still gives the PDF.
// `title`: how the images name the document (default « <the form's title> »).
async function assertPagesShown(page, what, title) {
  assert.equal(await page.locator('iframe').count(), 0, `${what}: no iframe left`);
  if (!title) title = `« ${(await page.innerText('h1')).replace(/^Signature : /, '')} »`;
  const region = page.getByRole('region', { name: `Pages du document ${title}`, exact: false });
  assert.equal(await region.count(), 1, `${what}: the pages region`);
  const images = region.locator('img.signature__page');
  const n = await images.count();
  assert.ok(n >= 1, `${what}: page images`);
  for (let i = 0; i < n; i++) {
    const img = images.nth(i);
    assert.equal(await img.getAttribute('alt'), `Page ${i + 1} sur ${n} du document ${title}`);
    assert.match(await img.getAttribute('src'), /\/pages\/\d+\.svg$/);
    await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 15000 });
  }
  const first = await page.request.get(await images.first().getAttribute('src'));
  assert.equal(first.status(), 200, `${what}: page 1`);
  assert.equal(first.headers()['content-type'], 'image/svg+xml; charset=utf-8');
  assert.equal(first.headers()['x-content-type-options'], 'nosniff');
  const href = await page.getByRole('link', { name: `Télécharger le PDF du document ${title}` }).getAttribute('href');
  const r = await page.request.get(href);
  assert.equal(r.status(), 200, `${what}: ${href} answered ${r.status()}`);
  assert.equal(r.headers()['content-type'], 'application/pdf');
  const bytes = await r.body();
  assert.ok(bytes.subarray(0, 5).toString() === '%PDF-', `${what}: not a PDF`);
  assert.equal(n, pdfPages(bytes), `${what}: one image per page of the PDF`);
  return bytes;
}

function pdfPages(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'signature-pdf-'));
  try {
    writeFileSync(join(dir, 'd.pdf'), bytes);
    const info = execFileSync('pdfinfo', [join(dir, 'd.pdf')], { encoding: 'utf8' });
    return Number(info.match(/^Pages:\s+(\d+)/m)[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pdfText(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'signature-pdf-'));
  try {
    writeFileSync(join(dir, 'd.pdf'), bytes);
    return execFileSync('pdftotext', ['-layout', join(dir, 'd.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// pdfsig with the instance's development certificate trusted in a throw-away NSS database.
function pdfsig(server, bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'signature-nss-'));
  try {
    const pem = readFileSync(join(server.dataDir, 'seal', 'passerelle-dev-seal.pem'), 'utf8');
    const cert = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)[0];
    writeFileSync(join(dir, 'cert.pem'), cert + '\n');
    writeFileSync(join(dir, 'signe.pdf'), bytes);
    execFileSync('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
    execFileSync('certutil', ['-A', '-d', `sql:${dir}`, '-n', 'passerelle', '-t', 'CT,C,C', '-i', join(dir, 'cert.pem')]);
    let out;
    try {
      out = execFileSync('pdfsig', ['-nssdir', `sql:${dir}`, join(dir, 'signe.pdf')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      out = `${e.stdout || ''}${e.stderr || ''}`;
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function signOnTablet(h, page, name, tag, { check = false, viewport } = {}) {
  if (viewport) await page.setViewportSize(viewport);
  await clickAndWait(page, page.getByRole('link', { name: `Faire signer ${name} maintenant` }));
  assert.match(page.url(), /\/documents\/doc_[0-9a-f]{16}\/signature\/sgr_[0-9a-f]{16}$/);
  const text = await mainText(page);
  assert.ok(text.includes(name), `${name} named on the page`);
  assert.ok(text.includes('Témoin : Julie Schneider'), 'the référent is the witness');
  await assertPagesShown(page, name);
  if (check) await h.checkPage(page, `signature-tablette-${tag}`);
  await page.getByLabel('Lu et approuvé').check();
  await drawSignature(page, name.length);
  await clickAndWait(page, page.getByRole('button', { name: 'Confirmer la signature' }));
  assert.match(page.url(), /\/signature\?fait=signe$/);
  assert.ok((await mainText(page)).includes('La signature est enregistrée.'));
}

const inPersonThenLandlord = {
  name: 'contrat d’objectifs signé sur la tablette par le ménage et l’association, puis par le bailleur depuis son compte ; PDF signé scellé',
  async run(h, server) {
    const { dossier, doc } = await newContract(server, 'AMLI-2026-0311');
    const page = await h.newPage({ viewport: LANDSCAPE });
    await signIn(page, 'julie@amli.fr', PASSWORD);

    // The finalised document's page offers « Faire signer ».
    await page.goto(`/documents/${doc}`);
    await clickAndWait(page, page.getByRole('link', { name: 'Faire signer' }));
    assert.match(page.url(), new RegExp(`/documents/${doc}/signature$`));
    assert.equal(await page.locator('#bailleur option:checked').innerText(), 'Présence Habitat');
    await h.checkPage(page, 'signature-lancement');
    await clickAndWait(page, page.getByRole('button', { name: 'Faire signer' }));
    let text = await mainText(page);
    assert.ok(text.includes('La signature est lancée'), text);
    for (const who of ['Aïcha Kaddouri', 'Karim Kaddouri', 'Éric Greiner', 'Mohamed Boukayouh']) assert.ok(text.includes(who), who);
    assert.equal(await page.locator('.signataires .etiquette', { hasText: 'En attente' }).count(), 4);
    // The association signs after the household: not offered yet.
    assert.equal(await page.getByRole('link', { name: 'Faire signer Éric Greiner maintenant' }).count(), 0);
    await h.checkPage(page, 'signature-suivi-en-cours');

    // Lu et approuvé is required: the error summary names it.
    await clickAndWait(page, page.getByRole('link', { name: 'Faire signer Aïcha Kaddouri maintenant' }));
    await drawSignature(page);
    await clickAndWait(page, page.getByRole('button', { name: 'Confirmer la signature' }));
    assert.ok((await page.innerText('.resume-erreurs')).includes('Cochez « Lu et approuvé »'));
    assert.equal(await page.getAttribute('#luEtApprouve', 'aria-invalid'), 'true');
    await h.checkPage(page, 'signature-tablette-erreur');
    await page.goto(`/documents/${doc}/signature`);

    await signOnTablet(h, page, 'Aïcha Kaddouri', 'paysage', { check: true });
    await signOnTablet(h, page, 'Karim Kaddouri', 'portrait', { check: true, viewport: PORTRAIT });
    await signOnTablet(h, page, 'Éric Greiner', 'association', { viewport: LANDSCAPE });
    text = await mainText(page);
    assert.equal(await page.locator('.signataires .etiquette', { hasText: 'Signé' }).count(), 3);
    assert.ok(text.includes('En présence, témoin : Julie Schneider'), text);
    assert.ok(text.includes('Signe depuis le compte du bailleur.'));
    assert.equal(await page.getByRole('link', { name: 'Télécharger le PDF signé' }).count(), 0);

    // The contract reaches the landlord through the consent gate only (the household agreed in person).
    await api(server, 'POST', `/v1/dossiers/${dossier}/consents`, {
      kind: 'consent', recipient: 'Présence Habitat', givenBy: { name: 'Aïcha Kaddouri', capacity: 'household_member' },
      scope: { documentKinds: ['contrat-objectifs'], categories: ['accompagnement', 'administratif', 'identite', 'logement', 'partenaire'] },
      purpose: 'Signature du contrat d’objectifs tripartite.', how: { method: 'in_person', recordedBy: 'Julie Schneider' },
    });
    await api(server, 'POST', `/v1/documents/${doc}/transmit`, { to: 'Présence Habitat' });

    // The landlord's representative, from its own account.
    const landlord = await h.newPage({ viewport: PORTRAIT });
    await signIn(landlord, 'mohamed@presence-habitat.fr', PASSWORD);
    await clickAndWait(landlord, landlord.getByRole('link', { name: 'Documents à signer' }));
    assert.match(landlord.url(), /\/signatures$/);
    assert.ok((await mainText(landlord)).includes('À votre tour de signer'));
    await h.checkPage(landlord, 'signature-bailleur-liste');
    await clickAndWait(landlord, landlord.locator(`a[href="/signatures/${doc}"]`));
    // Its copy (through the gate), page by page: the images are proven to be the PDF the link gives.
    assert.ok(!(await mainText(landlord)).includes('ne peuvent pas être affichées ici'), 'no fallback message');
    const copy = await assertPagesShown(landlord, 'bailleur');
    assert.match(await landlord.locator('#pages-document img').first().getAttribute('src'), new RegExp(`^/signatures/${doc}/copie/pages/1\\.svg$`));
    assert.equal(await landlord.getByRole('link', { name: /^Télécharger le PDF/ }).getAttribute('href'), `/signatures/${doc}/copie.pdf`);
    const copyText = pdfText(copy);
    assert.ok(copyText.includes('Copie adressée à Présence Habitat'), 'the landlord reads its recipient copy');
    await landlord.locator('#pages-document').evaluate((el) => { el.scrollTop = 0; }); // the screenshot: its first page, the notice
    await h.checkPage(landlord, 'signature-bailleur-tablette');
    await landlord.getByLabel('Lu et approuvé').check();
    await drawSignature(landlord, 3);
    await clickAndWait(landlord, landlord.getByRole('button', { name: 'Confirmer la signature' }));
    assert.ok((await mainText(landlord)).includes('Votre signature est enregistrée.'));
    await h.checkPage(landlord, 'signature-bailleur-faite');
    await landlord.goto('/signatures');
    assert.ok((await mainText(landlord)).includes('Aucun document n’attend votre signature.'));
    await signOut(landlord);

    // Complete: the association downloads the sealed PDF.
    await page.goto(`/documents/${doc}/signature`);
    text = await mainText(page);
    assert.ok(/Signé par tous/i.test(text), text);
    assert.equal(await page.locator('.signataires .etiquette', { hasText: 'Signé' }).count(), 4);
    assert.ok(text.includes('Depuis son compte Passerelle'));
    await h.checkPage(page, 'signature-suivi-complete');
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.getByRole('link', { name: 'Télécharger le PDF signé' }).click()]);
    const file = join(h.screenshotDir, 'signature-contrat-signe.pdf');
    await download.saveAs(file);
    const bytes = readFileSync(file);
    assert.ok(bytes.subarray(0, 5).toString() === '%PDF-');
    const sig = pdfsig(server, bytes);
    assert.match(sig, /Signature Validation: Signature is Valid\./, sig);
    assert.match(sig, /Total document signed/, sig);
    const signedText = pdfText(bytes);
    for (const who of ['Aïcha Kaddouri', 'Karim Kaddouri', 'Éric Greiner', 'Mohamed Boukayouh']) {
      assert.ok(signedText.includes(who), `${who} on the signed PDF`);
    }
    assert.ok(/Certificat de signature/i.test(signedText), 'certificate page');
    assert.ok(signedText.includes('Julie Schneider'), 'witness on the certificate');
    await signOut(page);
  },
};

const typedNameThenRefusal = {
  name: 'sans JavaScript : nom saisi au lieu du dessin, puis un refus visible qui arrête la signature',
  async run(h, server) {
    const { doc } = await newContract(server, 'AMLI-2026-0312');
    const page = await h.newPage({ javaScript: false, viewport: PORTRAIT });
    await signIn(page, 'julie@amli.fr', PASSWORD);
    await page.goto(`/documents/${doc}/signature`);
    await clickAndWait(page, page.getByRole('button', { name: 'Faire signer' }));
    await clickAndWait(page, page.getByRole('link', { name: 'Faire signer Aïcha Kaddouri maintenant' }));
    assert.equal(await page.locator('[data-signature-zone]').isVisible(), false, 'no canvas without JavaScript');
    await h.checkPage(page, 'signature-tablette-sans-js');
    await assertPagesShown(page, 'sans JavaScript');
    await page.getByLabel('Écrivez votre nom en toutes lettres').fill('Aïcha Kaddouri');
    for (let i = 0; i < 3 && !(await page.isChecked('#luEtApprouve')); i++) {
      await page.locator('label[for="luEtApprouve"]').click();
      await page.waitForTimeout(200);
    }
    assert.equal(await page.isChecked('#luEtApprouve'), true);
    await clickAndWait(page, page.getByRole('button', { name: 'Confirmer la signature' }));
    assert.ok((await mainText(page)).includes('La signature est enregistrée.'));
    await clickAndWait(page, page.getByRole('link', { name: 'Faire signer Karim Kaddouri maintenant' }));
    await clickAndWait(page, page.getByRole('button', { name: 'Refuser de signer' }));
    const text = await mainText(page);
    assert.ok(text.includes('Le refus de signer est enregistré'), text);
    assert.ok(/Signature refusée/i.test(text), text);
    assert.equal(await page.locator('.signataires .etiquette', { hasText: 'Refusé' }).count(), 1);
    assert.equal(await page.getByRole('link', { name: /Faire signer .* maintenant/ }).count(), 0, 'nobody signs after a refusal');
    await h.checkPage(page, 'signature-suivi-refus');
    const pdf = await page.request.get(`/documents/${doc}/signe.pdf`);
    assert.equal(pdf.status(), 409, 'no signed PDF after a refusal');

    // A link that does not exist: a French message, no signing form.
    const link = await page.goto(`/signature/${'0'.repeat(64)}`);
    assert.equal(link.status(), 404);
    assert.ok((await mainText(page)).includes('Ce lien de signature n’existe pas'));
  },
};

const autorisationWithPreview = {
  name: 'autorisation de transmission : le ménage voit la copie du bailleur avant de signer, puis le consentement en découle',
  async run(h, server) {
    const dossier = await api(server, 'POST', '/v1/dossiers', {
      reference: 'AMLI-2026-0313', menage: { membres: [{ prenom: 'Yannick', nom: 'Le Gall' }] } });
    const canary = 'CANARI-SANTE-4d1e';
    const grille = readExample(server.sourceDir, 'grille-capacite-habiter-cotes-darmor-initiale.json');
    grille.cotesDArmor.situationResidentielle.santeAutonomie.commentaire = canary;
    await api(server, 'POST', '/v1/documents', { form: 'grille-capacite-habiter', dossier: dossier.id, data: grille });
    const aut = readExample(server.sourceDir, 'autorisation-transmission-grille-cotes-darmor.json');
    aut.destinataire.nom = 'Présence Habitat';
    const autDoc = await api(server, 'POST', '/v1/documents', { form: 'autorisation-transmission', dossier: dossier.id, data: aut });

    const page = await h.newPage({ viewport: PORTRAIT });
    await signIn(page, 'julie@amli.fr', PASSWORD);
    // Not signed yet: the consent page says it is no evidence.
    await page.goto(`/documents/${autDoc.id}/consentement`);
    assert.ok((await mainText(page)).includes('n’est pas encore signée'));
    await page.goto(`/documents/${autDoc.id}/signature`);
    await clickAndWait(page, page.getByRole('button', { name: 'Faire signer' }));
    await clickAndWait(page, page.getByRole('link', { name: 'Faire signer Yannick Le Gall maintenant' }));
    // The copy Présence Habitat would receive, through the gate: the health comment withheld.
    assert.ok((await mainText(page)).includes('Ce que recevra Présence Habitat'));
    await assertPagesShown(page, 'autorisation');
    // The landlord's copy, page by page too (drawn from the same gate's rendering, proven identical).
    const preview = await assertPagesShown(page, 'aperçu', 'que recevrait Présence Habitat');
    const previewSrc = await page.getByRole('link', { name: 'Télécharger le PDF du document que recevrait Présence Habitat' }).getAttribute('href');
    assert.match(previewSrc, /^\/apercus\/apc_[0-9a-f]{16}\.pdf$/);
    assert.match(await page.locator('#pages-apercu img').first().getAttribute('src'), /^\/apercus\/apc_[0-9a-f]{16}\/pages\/1\.svg$/);
    const previewText = pdfText(preview);
    assert.ok(previewText.includes('Information non transmise'), 'withheld fields are marked');
    assert.ok(!previewText.includes(canary), 'the health comment is not in the landlord\'s copy');
    assert.ok(previewText.includes('Imhoweb'), 'housing values are in it');
    await h.checkPage(page, 'signature-autorisation-apercu');
    await page.getByLabel('Lu et approuvé').check();
    await drawSignature(page, 7);
    await clickAndWait(page, page.getByRole('button', { name: 'Confirmer la signature' }));
    assert.ok(/Signé par tous/i.test(await mainText(page)));

    // The consent comes from the signed autorisation, with the hash of what was shown.
    await clickAndWait(page, page.getByRole('link', { name: 'Enregistrer le consentement à partir de l’autorisation signée' }));
    const text = await mainText(page);
    assert.ok(text.includes('Présence Habitat'));
    assert.ok(text.includes('PDF signé et scellé dans Passerelle'));
    assert.ok(text.includes(createHash('sha256').update(preview).digest('hex')), 'the shown copy\'s hash');
    await h.checkPage(page, 'signature-consentement-autorisation');
    await clickAndWait(page, page.getByRole('button', { name: 'Enregistrer le consentement' }));
    assert.ok((await mainText(page)).includes('Le consentement est enregistré à partir de l’autorisation signée'));
    const consents = await api(server, 'GET', `/v1/dossiers/${dossier.id}/consents`);
    assert.equal(consents.consents.length, 1);
    assert.equal(consents.consents[0].how.method, 'signed_autorisation');
    await page.goto(`/dossiers/${dossier.id}`);
    assert.ok((await mainText(page)).includes('Consentement à la transmission à Présence Habitat'));
  },
};

export default [inPersonThenLandlord, typedNameThenRefusal, autorisationWithPreview];
