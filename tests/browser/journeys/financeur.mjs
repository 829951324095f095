// Journeys of issue 12: the funder's space and the organisation admin's pages.
//  - The association creates an action funded by the DDCS and fills its budget annex in the
//    generated form page (dates typed jj/mm/aaaa); the funder signs in, sees the action, downloads
//    the annex's XLSX (a cell read back from the workbook's shared strings) and sees no dossier (canary).
//  - The admin creates an API key (shown once), uses it against /v1/me, revokes it: 401.
//  - The landlord's admin declares its webhook, makes its signing secret (shown once), sends a
//    test push; the partnerships page lists the partner.
// axe-core on every new page (Harness.checkPage).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, signIn, signOut, mainText, submit } from '../lib/steps.mjs';
import { clickAndWait, createDossier, download, fillForm, readExample } from '../lib/forms.mjs';

const PASSWORD = 'un mot de passe solide 2026';
const CANARY = 'Canari-Zéphyrine-4417';

export function setup(server) {
  server.createOrg('ADGESTI');
  server.createOrg('DDCS Sarthe', 'financeur');
  server.createOrg('Sarthe Habitat', 'bailleur');
  server.cli(['admin', 'create-partnership', 'ADGESTI', 'Sarthe Habitat']);
  server.createUser('ADGESTI', 'marc@adgesti.fr', 'Marc Durand', 'membre', PASSWORD);
  server.createUser('ADGESTI', 'claire@adgesti.fr', 'Claire Lefèvre', 'admin', PASSWORD);
  server.createUser('DDCS Sarthe', 'helene@ddcs.fr', 'Hélène Petit', 'membre', PASSWORD);
  server.createUser('Sarthe Habitat', 'dsi@sarthe-habitat.fr', 'Paul Bernard', 'admin', PASSWORD);
}

// One part of a zip (the XLSX) as text, read with Python's zipfile (python3 is a test package).
function zipPart(bytes, part) {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-xlsx-'));
  const file = join(dir, 'annexe.xlsx');
  writeFileSync(file, bytes);
  return execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
    file, part], { encoding: 'utf8' });
}

// The association's action and budget annex, then the funder's pages; run with JavaScript and
// without (the web app works without it): `tag` suffixes the screenshots.
async function fundedAction(h, server, { javaScript, reference, title, tag }) {
  const page = await h.newPage({ javaScript });
  await signIn(page, 'marc@adgesti.fr', PASSWORD);
  const dossierUrl = await createDossier(page, reference, CANARY, 'Zéphyrine');

  // A new action, funded by the DDCS.
  await clickAndWait(page, page.getByRole('link', { name: 'Actions', exact: true }));
  await h.checkPage(page, `actions-association-vide${tag}`);
  await clickAndWait(page, page.getByRole('link', { name: 'Nouvelle action' }));
  await submit(page, 'Créer l’action');
  assert.ok((await mainText(page)).includes('L\'intitulé de l\'action est obligatoire.'));
  await h.checkPage(page, `action-nouvelle-erreur${tag}`);
  await page.getByLabel('Intitulé de l’action').fill(title);
  await page.getByLabel('DDCS Sarthe').check();
  await submit(page, 'Créer l’action');
  assert.match(page.url(), /\/actions\/act_[0-9a-f]{16}\?message=creee$/);
  const actionUrl = page.url().replace(/\?.*$/, '');
  let text = await mainText(page);
  assert.ok(text.includes('L’action a été créée') && text.includes('DDCS Sarthe'), text);
  await h.checkPage(page, `action-association${tag}`);

  // Its budget annex, filled in the form page generated from the definition.
  await clickAndWait(page, page.getByRole('button', { name: 'Annexe budgétaire' }));
  assert.match(page.url(), /\/brouillons\/brl_[0-9a-f]{16}$/);
  assert.ok(await page.getByRole('link', { name: 'Retour à l’action' }).isVisible());
  await h.checkPage(page, `annexe-budgetaire-vide${tag}`);
  const example = readExample(server.sourceDir, 'budget-annexe-sarthe-plateformes.json');
  await fillForm(page, example);
  // The date was typed jj/mm/aaaa; a wrong one is named in French.
  await page.locator('[name="/date"]').fill('31/02/2014');
  await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
  text = await mainText(page);
  assert.ok(text.includes('n’est pas une date valide : saisissez-la au format jj/mm/aaaa'), text);
  assert.equal(await page.getAttribute('[name="/date"]', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('[name="/date"]'), '31/02/2014', 'typed value kept');
  await h.checkPage(page, `annexe-budgetaire-erreur-date${tag}`);
  await page.locator('[name="/date"]').fill('30/09/2014');
  await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
  assert.match(page.url(), /\/documents\/doc_[0-9a-f]{16}\?revision=1/, page.url());
  await h.checkPage(page, `annexe-budgetaire-document${tag}`);
  await clickAndWait(page, page.getByRole('link', { name: 'Retour à l’action' }));
  assert.equal(page.url(), actionUrl);
  assert.ok((await mainText(page)).includes('Révision n° 1'));
  await signOut(page);

  // The funder: its actions, the annex, the XLSX.
  await signIn(page, 'helene@ddcs.fr', PASSWORD);
  assert.match(page.url(), /\/actions$/);
  text = await mainText(page);
  assert.ok(text.includes('Actions financées') && text.includes(title) && text.includes('ADGESTI'), text);
  assert.equal(await page.getByRole('link', { name: 'Dossiers', exact: true }).count(), 0, 'no dossiers in the menu');
  await h.checkPage(page, `financeur-actions${tag}`);
  await clickAndWait(page, page.getByRole('link', { name: title, exact: true }));
  assert.equal(page.url(), actionUrl);
  text = await mainText(page);
  assert.ok(text.includes('Annexe budgétaire') && !text.includes('Remplir un document'), text);
  await h.checkPage(page, `financeur-action${tag}`);
  const sheet = await download(page, page.getByRole('link', { name: /Classeur XLSX — Annexe budgétaire, révision n° 1/ }));
  assert.equal(sheet.bytes.subarray(0, 2).toString('latin1'), 'PK');
  const strings = zipPart(sheet.bytes, 'xl/sharedStrings.xml');
  assert.ok(strings.includes('Temps d\'évaluation par ADGESTI (300 € par diagnostic × 50 situations)'), strings.slice(0, 400));
  assert.ok(!strings.includes(CANARY));
  const pdf = await download(page, page.getByRole('link', { name: /^PDF — Annexe budgétaire, révision n° 1/ }));
  assert.equal(pdf.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  // No dossier, no household value.
  const resp = await page.goto(dossierUrl);
  assert.equal(resp.status(), 404);
  text = await mainText(page);
  assert.ok(text.includes('Page introuvable') && !text.includes(CANARY), text);
  for (const path of ['/actions', actionUrl, '/dossiers', '/accueil']) {
    await page.goto(path);
    assert.ok(!(await page.content()).includes(CANARY), path);
  }
  assert.equal((await page.goto('/actions/nouvelle')).status(), 404);
}

export default [{
  name: 'l’association remplit l’annexe budgétaire d’une action, le financeur télécharge le classeur et ne voit aucun dossier',
  run: (h, server) => fundedAction(h, server, { javaScript: true, reference: 'ADG-2026-0700', title: 'Plateformes territoriales Sarthe 2027', tag: '' }),
}, {
  name: 'sans JavaScript : la même action et son annexe, puis les pages du financeur',
  run: (h, server) => fundedAction(h, server, { javaScript: false, reference: 'ADG-2026-0701', title: 'Plateformes territoriales Sarthe 2027 (sans JavaScript)', tag: '-sans-js' }),
}, {
  name: 'l’administrateur crée une clé d’API, l’utilise, la révoque (sans JavaScript)',
  async run(h, server) {
    const page = await h.newPage({ javaScript: false });
    await signIn(page, 'claire@adgesti.fr', PASSWORD);
    await clickAndWait(page, page.getByRole('link', { name: 'Clés d’API' }));
    await h.checkPage(page, 'cles-api-vide');
    await submit(page, 'Créer la clé');
    assert.ok((await mainText(page)).includes('Indiquez la personne ou le logiciel qui utilisera la clé.'));
    await h.checkPage(page, 'cles-api-erreur');
    await page.getByLabel('Personne ou logiciel qui utilisera la clé').fill('Logiciel de suivi — Claire');
    await submit(page, 'Créer la clé');
    const secret = (await page.locator('[data-cle-api]').innerText()).trim();
    assert.match(secret, /^psl_[0-9a-f]{64}$/);
    await h.checkPage(page, 'cles-api-creee');
    const me = await fetch(`${server.baseUrl}/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(me.status, 200);
    const body = await me.json();
    assert.equal(body.name, 'ADGESTI');
    assert.equal(body.keyName, 'Logiciel de suivi — Claire');
    // Shown once.
    await page.goto('/cles-api');
    assert.ok(!(await page.content()).includes(secret));
    await clickAndWait(page, page.getByRole('button', { name: /^Révoquer/ }));
    assert.ok((await mainText(page)).includes('Une clé révoquée ne peut pas être rétablie.'));
    await h.checkPage(page, 'cle-api-revoquer');
    await submit(page, 'Révoquer la clé');
    assert.ok((await mainText(page)).includes('La clé a été révoquée'));
    await h.checkPage(page, 'cles-api-revoquee');
    const after = await fetch(`${server.baseUrl}/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(after.status, 401);
    // Partnerships: the landlord partner.
    await clickAndWait(page, page.getByRole('link', { name: 'Partenariats' }));
    assert.ok((await mainText(page)).includes('Sarthe Habitat'));
    await h.checkPage(page, 'partenariats-association');
    // A member gets the French 404.
    await signOut(page);
    await signIn(page, 'marc@adgesti.fr', PASSWORD);
    assert.equal((await page.goto('/cles-api')).status(), 404);
    assert.ok((await mainText(page)).includes('Page introuvable'));
  },
}, {
  name: 'le bailleur déclare son webhook de réception',
  async run(h) {
    const page = await h.newPage();
    await signIn(page, 'dsi@sarthe-habitat.fr', PASSWORD);
    await clickAndWait(page, page.getByRole('link', { name: 'Webhook' }));
    await h.checkPage(page, 'webhook-vide');
    await page.getByLabel('Adresse du webhook').fill('ftp://reception');
    await submit(page, 'Enregistrer l’adresse');
    assert.ok((await mainText(page)).includes('Adresse de webhook invalide'));
    await h.checkPage(page, 'webhook-erreur');
    // Port 9 (discard) on this machine: nothing listens, the test push fails at once.
    await page.getByLabel('Adresse du webhook').fill('http://127.0.0.1:9/passerelle');
    await submit(page, 'Enregistrer l’adresse');
    let text = await mainText(page);
    assert.ok(text.includes('L’adresse du webhook est enregistrée.') && text.includes('http://127.0.0.1:9/passerelle'), text);
    await h.checkPage(page, 'webhook-enregistre');
    // The signing secret, shown once.
    await submit(page, 'Créer un secret');
    const secret = (await page.locator('[data-secret-webhook]').innerText()).trim();
    assert.match(secret, /^whsec_[0-9a-f]{64}$/);
    await h.checkPage(page, 'webhook-secret');
    await page.goto('/webhook');
    assert.ok(!(await page.content()).includes(secret));
    assert.ok((await mainText(page)).includes('Un secret est en place depuis le'));
    // A test push: what the server answered (here: nothing).
    await submit(page, 'Envoyer un essai');
    text = await page.locator('[data-essai]').innerText();
    assert.ok(text.includes('Essai en échec : aucune réponse de votre serveur') && text.includes('L’envoi était signé'), text);
    await h.checkPage(page, 'webhook-essai');
    await clickAndWait(page, page.getByRole('link', { name: 'Partenariats' }));
    assert.ok((await mainText(page)).includes('ADGESTI'));
    await h.checkPage(page, 'partenariats-bailleur');
  },
}];
