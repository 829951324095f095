// Journey: the transmission of a grille to a landlord, with the household's consent (issue 12).
// The association (without JavaScript) sees the gate refuse without consent, records the
// consent, sees what will go and what is withheld (health: « sans lien avec le logement »),
// confirms; the landlord finds the copy in its inbox, opens it, downloads the PDF, whose text
// lacks the health canary; the SIAO sees the copy the household agreed to and not the other;
// the association withdraws the consent and the landlord's inbox says so; a landlord asking
// for an association's dossier gets the French 404. axe-core on every page, screenshots.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, signIn, mainText, submit } from '../lib/steps.mjs';
import { clickAndWait, createDossier } from '../lib/forms.mjs';

const PASSWORD = 'un mot de passe solide 2026';
const CANARY = 'CANARI-SANTE-7781 suivi au CMP';
const HOUSING_TEXT = 'Six quittances payées à date';

let apiKey = '';

export function setup(server) {
  server.createOrg('ADGESTI');
  server.createOrg('Sarthe Habitat', 'bailleur');
  server.createOrg('SIAO de la Sarthe', 'siao');
  server.cli(['admin', 'create-partnership', 'ADGESTI', 'Sarthe Habitat', '--siao', 'SIAO de la Sarthe']);
  // Consents recorded in person are refused unless the partnership accepts them (issue 11 item 6).
  server.cli(['admin', 'set-partnership-in-person', 'ADGESTI', 'Sarthe Habitat', 'on']);
  server.createUser('ADGESTI', 'claire@adgesti.fr', 'Claire Lefèvre', 'membre', PASSWORD);
  server.createUser('Sarthe Habitat', 'cesf@sarthe-habitat.fr', 'Paul Bernard', 'membre', PASSWORD);
  server.createUser('SIAO de la Sarthe', 'accueil@siao72.fr', 'Nadia Benali', 'membre', PASSWORD);
  const out = server.cli(['admin', 'create-key', 'ADGESTI', '--name', 'Claire Lefèvre']).trim().split('\n');
  apiKey = out[out.length - 1].trim();
}

function parisToday() {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date());
}

// The grille of the example (AFFIL), with a health comment that must never reach a landlord.
function grilleData(server) {
  const data = JSON.parse(readFileSync(join(server.sourceDir, 'examples', 'grille-capacite-habiter-affil-suivi-6-mois.json'), 'utf8'));
  data.affil.besoinAccompagnement.sante = { niveau: 'vigilance', commentaire: CANARY };
  return data;
}

// The association's document, created through the API (the form pages have their own journeys).
async function createGrille(server, dossierUrl) {
  const dossier = dossierUrl.match(/dos_[0-9a-f]{16}/)[0];
  const r = await fetch(`${server.baseUrl}/v1/documents`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ form: 'grille-capacite-habiter', variant: 'affil', dossier, data: grilleData(server) }),
  });
  const body = await r.json();
  assert.equal(r.status, 201, JSON.stringify(body));
  return body.id || body.document.id;
}

// Records the household's consent for Sarthe Habitat on the grille (housing categories), with or without the SIAO copy.
// The giver is a member of the dossier's household (issue 11 item 6).
async function recordConsent(h, page, { siao, tag, giver = 'Mariam Diallo' }) {
  await page.getByLabel('Personne du ménage qui répond').fill(giver);
  const kinds = page.locator('fieldset', { hasText: 'Documents' }).first();
  assert.ok(await page.getByLabel('Grille d’appréciation de la capacité à habiter').isChecked(), 'the document kind comes checked');
  const categories = page.locator('input[name="/scope/categories"]');
  for (let i = 0; i < await categories.count(); i++) await categories.nth(i).check();
  if (siao) await page.getByLabel(/SIAO du partenariat reçoive la même copie/).check();
  assert.ok(await kinds.isVisible());
  await h.checkPage(page, `consentement-nouveau-${tag}`);
  await submit(page, 'Enregistrer la réponse du ménage');
  const text = await mainText(page);
  assert.ok(text.includes('Le consentement du ménage a été enregistré.'), text);
  assert.match(text, /VALIDE/i);
}

async function transmitConfirmed(h, page, docId, { siao, tag, giver = 'Mariam Diallo' }) {
  await page.goto(`/documents/${docId}`);
  await clickAndWait(page, page.getByRole('link', { name: 'Transmettre à un bailleur' }));
  let text = await mainText(page);
  assert.ok(text.includes('Le consentement du ménage permet cette transmission'), text);
  assert.ok(text.includes('Ce qui sera transmis') && text.includes(HOUSING_TEXT), text);
  assert.ok(text.includes('Santé et continuité des soins') && text.includes('sans lien avec le logement'), text);
  assert.ok(!text.includes('CANARI-SANTE'), 'the preview never shows what is withheld');
  assert.ok(text.includes(giver), 'the governing consent is shown');
  assert.ok(text.includes(siao ? 'recevra la même copie' : 'ne recevra pas de copie'), text);
  await h.checkPage(page, `transmettre-apercu-${tag}`);
  await submit(page, 'Confirmer la transmission à Sarthe Habitat');
  assert.match(page.url(), /\/documents\/doc_[0-9a-f]{16}\/transmissions\/trn_[0-9a-f]{16}/);
  text = await mainText(page);
  assert.ok(text.includes('Document transmis à Sarthe Habitat') && text.includes('Pas encore lu'), text);
  if (siao) assert.ok(text.includes('Copie au SIAO : SIAO de la Sarthe'), text);
  await h.checkPage(page, `transmission-${tag}`);
}

export default [{
  name: 'transmettre une grille avec le consentement, la recevoir, la lire, retirer le consentement',
  async run(h, server) {
    // --- Association, without JavaScript ------------------------------------------------
    const assoc = await h.newPage({ javaScript: false });
    await signIn(assoc, 'claire@adgesti.fr', PASSWORD);
    const dossierA = await createDossier(assoc, 'ADG-2026-0147', 'Diallo', 'Mariam');
    const docA = await createGrille(server, dossierA);

    // No consent yet: the gate refuses, nothing goes, a link to record one.
    await assoc.goto(`/documents/${docA}/transmettre`);
    let text = await mainText(assoc);
    assert.ok(text.includes('Transmission impossible') && text.includes('Aucun consentement du ménage'), text);
    assert.equal(await assoc.getByRole('button', { name: /Confirmer la transmission/ }).count(), 0, 'no confirmation when refused');
    await h.checkPage(assoc, 'transmettre-refus-sans-consentement');
    await clickAndWait(assoc, assoc.getByRole('link', { name: 'Enregistrer un consentement' }));
    // First without a name: the error summary names the field.
    await submit(assoc, 'Enregistrer la réponse du ménage');
    text = await mainText(assoc);
    assert.ok(text.includes('Il y a un problème') && text.includes('Saisissez le nom de la personne du ménage'), text);
    await h.checkPage(assoc, 'consentement-erreur');
    await recordConsent(h, assoc, { siao: true, tag: 'a' });
    await h.checkPage(assoc, 'dossier-consentement');
    await transmitConfirmed(h, assoc, docA, { siao: true, tag: 'a' });

    // A second household: consent without the SIAO copy.
    const dossierB = await createDossier(assoc, 'ADG-2026-0200', 'Martin', 'Louise');
    const docB = await createGrille(server, dossierB);
    await assoc.goto(`${dossierB}/consentements/nouveau?formulaire=grille-capacite-habiter`);
    await recordConsent(h, assoc, { siao: false, tag: 'b', giver: 'Louise Martin' });
    await transmitConfirmed(h, assoc, docB, { siao: false, tag: 'b', giver: 'Louise Martin' });

    // The household's receipt prints as a PDF.
    await assoc.goto(dossierA);
    const receiptHref = await assoc.getByRole('link', { name: 'Imprimer le reçu du ménage (PDF)' }).getAttribute('href');
    const receipt = await assoc.request.get(receiptHref);
    assert.equal(receipt.status(), 200);
    assert.equal(receipt.headers()['content-type'], 'application/pdf');

    // --- Landlord ---------------------------------------------------------------------------
    const landlord = await h.newPage({ javaScript: true });
    await signIn(landlord, 'cesf@sarthe-habitat.fr', PASSWORD);
    await clickAndWait(landlord, landlord.getByRole('link', { name: 'Documents reçus' }).first());
    text = await mainText(landlord);
    assert.ok(text.includes('2 documents reçus') && text.includes('2 nouveaux au total'), text);
    assert.ok(text.includes('ADG-2026-0147') && text.includes('ADG-2026-0200'), text);
    await h.checkPage(landlord, 'recus');
    await landlord.getByLabel('Rechercher', { exact: true }).fill('adg-2026-0147');
    await submit(landlord, 'Filtrer');
    text = await mainText(landlord);
    assert.ok(text.includes('1 document reçu correspondant') && !text.includes('ADG-2026-0200'), text);
    await h.checkPage(landlord, 'recus-recherche');
    await clickAndWait(landlord, landlord.getByRole('link', { name: 'Grille d’appréciation de la capacité à habiter' }));
    text = await mainText(landlord);
    assert.ok(text.includes('ADGESTI') && text.includes('Claire Lefèvre') && text.includes(HOUSING_TEXT), text);
    assert.ok(text.includes('Le consentement du ménage') && text.includes('Valable jusqu’au'), text);
    assert.ok(!text.includes('CANARI-SANTE') && !text.includes('Santé et continuité des soins'), 'nothing withheld shows');
    await h.checkPage(landlord, 'recu');
    const [download] = await Promise.all([
      landlord.waitForEvent('download'),
      landlord.getByRole('link', { name: /Télécharger le PDF/ }).click(),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-recu-'));
    const pdf = join(dir, 'copie.pdf');
    await download.saveAs(pdf);
    const pdfText = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    assert.ok(pdfText.includes('Six quittances payées'), 'the copy holds the housing information');
    assert.ok(!pdfText.includes('CANARI'), 'the PDF lacks the health canary');
    await landlord.goto('/recus');
    text = await mainText(landlord);
    assert.ok(text.includes('1 nouveau au total') && /\bLU\b/i.test(text), text);

    // Nothing else of the association: its dossier and its pages answer the French 404.
    for (const url of [dossierA, `/documents/${docA}`, `/documents/${docA}/transmettre`, `${dossierA}/consentements/nouveau`]) {
      const r = await landlord.goto(url);
      assert.equal(r.status(), 404, url);
      assert.ok((await mainText(landlord)).includes('Page introuvable'), url);
    }
    await h.checkPage(landlord, 'bailleur-dossier-404');

    // --- SIAO: the copy the household agreed to, nothing else --------------------------------
    const siao = await h.newPage({ javaScript: true });
    await signIn(siao, 'accueil@siao72.fr', PASSWORD);
    await siao.goto('/recus');
    text = await mainText(siao);
    assert.ok(text.includes('1 document reçu') && text.includes('ADG-2026-0147') && !text.includes('ADG-2026-0200'), text);
    await h.checkPage(siao, 'siao-recus');
    await clickAndWait(siao, siao.getByRole('link', { name: 'Grille d’appréciation de la capacité à habiter' }));
    text = await mainText(siao);
    assert.ok(text.includes('en copie au SIAO') && text.includes(HOUSING_TEXT) && !text.includes('CANARI'), text);
    await h.checkPage(siao, 'siao-recu');

    // --- The association sees the reading, then withdraws the consent ------------------------
    await assoc.goto(dossierA);
    text = await mainText(assoc);
    assert.ok(text.includes('Lu par le bailleur Sarthe Habitat') && text.includes('Lu par SIAO de la Sarthe (SIAO)'), text);
    await h.checkPage(assoc, 'dossier-historique');
    await clickAndWait(assoc, assoc.getByRole('link', { name: /^Retirer/ }));
    text = await mainText(assoc);
    assert.ok(text.includes('Le retrait prend effet immédiatement'), text);
    await h.checkPage(assoc, 'consentement-retirer');
    await submit(assoc, 'Retirer le consentement');
    text = await mainText(assoc);
    assert.ok(text.includes('Le consentement a été retiré') && /RETIRÉ/i.test(text), text);
    // Transmitting again is refused, with the reason.
    await assoc.goto(`/documents/${docA}/transmettre`);
    text = await mainText(assoc);
    assert.ok(text.includes('Le ménage a retiré son consentement'), text);
    await h.checkPage(assoc, 'transmettre-refus-retire');

    // --- The landlord's copy stays readable, marked withdrawn --------------------------------
    const today = parisToday();
    await landlord.goto('/recus');
    text = await mainText(landlord);
    assert.ok(text.toLowerCase().includes(`consentement retiré le ${today}`), text);
    await h.checkPage(landlord, 'recus-retire');
    await clickAndWait(landlord, landlord.locator('tr', { hasText: 'ADG-2026-0147' }).getByRole('link'));
    text = await mainText(landlord);
    assert.ok(text.toLowerCase().includes(`consentement retiré le ${today}`) && text.includes(HOUSING_TEXT), text);
    await h.checkPage(landlord, 'recu-retire');
    writeFileSync(join(dir, 'ok'), 'ok');
  },
}, {
  name: 'sans JavaScript : autorisation signée sur papier, saisie différée avec son scan joint à la page',
  async run(h, server) {
    const api = async (method, path, body) => {
      const r = await fetch(server.baseUrl + path, {
        method, headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await r.json();
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    const dossier = await api('POST', '/v1/dossiers', { reference: 'ADG-2026-0300', menage: { membres: [{ prenom: 'Awa', nom: 'Touré' }] } });
    const aut = JSON.parse(readFileSync(join(server.sourceDir, 'examples', 'autorisation-transmission-grille-cotes-darmor.json'), 'utf8'));
    aut.destinataire.nom = 'Sarthe Habitat';
    aut.menage.personnes = [{ prenom: 'Awa', nom: 'Touré', dateNaissance: '1990-04-02' }];
    const autDoc = await api('POST', '/v1/documents', { form: 'autorisation-transmission', dossier: dossier.id, data: aut });

    const page = await h.newPage({ javaScript: false });
    await signIn(page, 'claire@adgesti.fr', PASSWORD);
    await page.goto(`/dossiers/${dossier.id}/consentements/nouveau`);
    await page.getByLabel('Personne du ménage qui répond').fill('Awa Touré');
    await page.getByLabel('Sur l’autorisation de transmission signée du dossier').check();
    await page.getByLabel(/^Saisie différée/).check();
    await page.getByLabel(/Date de la signature sur papier/).fill('2026-02-11');
    // A photo of the paper saved as GIF: refused by its bytes, the summary names the scan's input.
    await page.getByLabel(/Scan de l’autorisation signée sur papier/).setInputFiles(
      { name: 'autorisation.png', mimeType: 'image/png', buffer: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1') });
    await submit(page, 'Enregistrer la réponse du ménage');
    let text = await page.innerText('.resume-erreurs');
    assert.ok(text.includes('Le scan doit être un PDF, une image PNG ou une image JPEG.'), text);
    assert.equal(await page.getAttribute('.resume-erreurs a[href="#how-scan"]', 'href'), '#how-scan');
    assert.equal(await page.getAttribute('#how-scan', 'aria-invalid'), 'true');
    await h.checkPage(page, 'consentement-scan-erreur');
    assert.equal((await api('GET', `/v1/dossiers/${dossier.id}/consents`)).consents.length, 0, 'nothing recorded');

    // The scanned PDF, chosen again (a file input is never refilled): recorded, dated the paper's day.
    const pdf = Buffer.from('%PDF-1.4\n% autorisation signée sur papier, scannée\n1 0 obj << >> endobj\n%%EOF\n', 'latin1');
    assert.ok(await page.getByLabel(/^Saisie différée/).isChecked(), 'the late-entry box is kept');
    await page.getByLabel(/Scan de l’autorisation signée sur papier/).setInputFiles({ name: 'autorisation.pdf', mimeType: 'application/pdf', buffer: pdf });
    await submit(page, 'Enregistrer la réponse du ménage');
    text = await mainText(page);
    assert.ok(text.includes('Le consentement du ménage a été enregistré.'), text);
    await h.checkPage(page, 'consentement-scan-enregistre');
    const consents = (await api('GET', `/v1/dossiers/${dossier.id}/consents`)).consents;
    assert.equal(consents.length, 1);
    assert.equal(consents[0].how.method, 'signed_autorisation');
    assert.equal(consents[0].how.documentId, autDoc.id);
    assert.equal(consents[0].how.documentSha256, createHash('sha256').update(pdf).digest('hex'));
    assert.equal(consents[0].givenAt.slice(0, 10), '2026-02-10', consents[0].givenAt); // 00:00 in Paris on 11/02/2026
  },
}];
