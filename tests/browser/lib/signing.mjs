// Steps shared by the signing journeys (issue 10): a contract made through the API, a signature
// drawn with the mouse, the personal link read from an e-mail.
import { assert } from './steps.mjs';
import { readExample, clickAndWait } from './forms.mjs';

export const PASSWORD = 'un mot de passe solide 2026';

// AMLI and Présence Habitat, partners with personal signing links on; a référente of AMLI; an API key.
export function setupPartners(server) {
  server.createOrg('AMLI');
  server.createOrg('Présence Habitat', 'bailleur');
  server.cli(['admin', 'create-partnership', 'AMLI', 'Présence Habitat']);
  server.cli(['admin', 'set-signing-links', 'AMLI', 'Présence Habitat', 'oui']);
  server.createUser('AMLI', 'julie@amli.fr', 'Julie Schneider', 'membre', PASSWORD);
  server.createUser('Présence Habitat', 'mohamed@presence-habitat.fr', 'Mohamed Boukayouh', 'membre', PASSWORD);
  server.apiKey = server.cli(['admin', 'create-key', 'AMLI', '--name', 'Julie Schneider']).trim().split('\n').pop().trim();
}

// The mail outbox is drained every 200 ms instead of 2 s, and its links point at this server.
export function mailThrough(server, sink) {
  server.setConfig('smtp.host', '127.0.0.1');
  server.setConfig('smtp.port', sink.port);
  server.setConfig('smtp.starttls', 'off');
  server.setConfig('smtp.from', 'Passerelle <passerelle@passerelle.test>');
  server.setConfig('notifications.interval-ms', 200);
  server.setConfig('public-url', (s) => s.baseUrl);
  server.onStop(() => sink.close());
}

export async function api(server, method, path, body) {
  const r = await fetch(server.baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${server.apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

// A contrat d'objectifs of a new dossier (Aïcha Kaddouri, the association, the landlord).
export async function newContract(server, reference) {
  const data = readExample(server.sourceDir, 'contrat-objectifs-amli-acces.json');
  const dossier = await api(server, 'POST', '/v1/dossiers', { reference, menage: { membres: [{ prenom: 'Aïcha', nom: 'Kaddouri' }] } });
  const doc = await api(server, 'POST', '/v1/documents', { form: 'contrat-objectifs', dossier: dossier.id, data });
  return { dossier: dossier.id, doc: doc.id, data };
}

// The référente starts the signing and sends Aïcha Kaddouri her personal link.
export async function sendLink(page, doc, email) {
  await page.goto(`/documents/${doc}/signature`);
  await clickAndWait(page, page.getByRole('button', { name: 'Faire signer' }));
  await page.getByLabel('Ou envoyer à Aïcha Kaddouri un lien personnel de signature').fill(email);
  await clickAndWait(page, page.getByRole('button', { name: 'Envoyer le lien' }));
  const text = await page.innerText('main');
  assert.ok(text.includes('Le lien personnel de signature est envoyé à l’adresse indiquée.'), text);
}

// Draws a signature-like stroke with the mouse inside the canvas.
export async function drawSignature(page, seed = 0) {
  const canvas = page.locator('[data-signature-canvas]');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 200 && box.height > 100, `canvas box ${JSON.stringify(box)}`);
  const y0 = box.y + box.height * 0.6;
  await page.mouse.move(box.x + 30, y0);
  await page.mouse.down();
  for (let i = 1; i <= 24; i++) {
    const x = box.x + 30 + i * ((box.width - 60) / 24);
    const y = y0 - Math.sin((i + seed) / 2.5) * box.height * 0.3;
    await page.mouse.move(x, y, { steps: 2 });
  }
  await page.mouse.up();
  assert.equal(await page.innerText('[data-signature-etat]'), 'Signature dessinée.');
}

// The one link in a message's decoded text, as a path on this server.
export function linkIn(server, message) {
  const links = message.text.match(/https?:\/\/\S+\/signature\/[0-9a-f]{64}/g) || [];
  assert.equal(links.length, 1, `one signing link in the message:\n${message.text}`);
  assert.ok(links[0].startsWith(server.baseUrl + '/signature/'), `${links[0]} points at ${server.baseUrl}`);
  return links[0].slice(server.baseUrl.length);
}
