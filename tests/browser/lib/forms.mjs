// Steps of the form-page journeys (web-forms): fill a generated form page from an
// example JSON by the inputs' names (JSON pointers), add table rows in the browser,
// and check that a PDF's text holds every value typed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, submit } from './steps.mjs';

export function readExample(sourceDir, name) {
  return JSON.parse(readFileSync(join(sourceDir, 'examples', name), 'utf8'));
}

// The (pointer, text) pairs a browser posts for `data`: one per scalar, one per chosen option.
export function pairsOf(data, pointer = '', out = []) {
  if (Array.isArray(data)) {
    data.forEach((item, i) => {
      if (item !== null && typeof item === 'object') pairsOf(item, `${pointer}/${i}`, out);
      else out.push([pointer, String(item)]);
    });
  } else if (data !== null && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) pairsOf(v, `${pointer}/${k}`, out);
  } else if (data !== null && data !== undefined) {
    out.push([pointer, String(data)]);
  }
  return out;
}

// Clicks a submit button or link and waits for the page it leads to (JavaScript off: a round trip).
export async function clickAndWait(page, locator) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await locator.click();
  await nav;
}

export async function createDossier(page, reference, nom, prenom) {
  await page.goto('/dossiers/nouveau');
  await page.getByLabel('Référence du dossier').fill(reference);
  await page.getByLabel('Nom de la personne de référence du ménage').fill(nom);
  await page.getByLabel('Prénom').fill(prenom);
  await submit(page, 'Créer le dossier');
  assert.match(page.url(), /\/dossiers\/dos_[0-9a-f]{16}/);
  return page.url().replace(/[?#].*$/, '');
}

function rowsOf(page, table) {
  return page.locator(`[data-table="${table}"] > [data-rows] > [data-row]`);
}

// Adds rows with the table's own button until it has `n` (in the page with JavaScript,
// through the server without).
export async function ensureRows(page, table, n) {
  for (let guard = 0; guard < 50; guard++) {
    const count = await rowsOf(page, table).count();
    if (count >= n) return;
    const add = page.locator(`[data-table="${table}"] > button[data-add-row]`);
    if (page.javaScript) await add.click();
    else await clickAndWait(page, add);
  }
  throw new Error(`could not add rows to ${table}`);
}

function frenchDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

function frenchNumber(text, unit) {
  const cleaned = text.replace(/[\s\u00a0\u202f€%]/g, '').replace(',', '.');
  const [int, dec = ''] = cleaned.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  if (unit === '€') return `${grouped},${(dec + '00').slice(0, 2)} €`;
  return dec && !/^0+$/.test(dec) ? `${grouped},${dec.replace(/0+$/, '')} %` : `${grouped} %`;
}

// Fills every value of `data` in the page, adding table rows first; returns the texts a
// rendered document must show (strings as typed, dates 22/11/2026, amounts 1 234,56 €,
// choices by their label; yes/no answers are not words of the document).
export async function fillForm(page, data) {
  const pairs = pairsOf(data);
  // Rows first, shallow tables before the tables of their rows.
  const need = new Map();
  for (const [pointer] of pairs) {
    const segs = pointer.split('/');
    for (let i = 1; i < segs.length; i++) {
      if (/^\d+$/.test(segs[i])) {
        const table = segs.slice(0, i).join('/');
        need.set(table, Math.max(need.get(table) || 0, parseInt(segs[i], 10) + 1));
      }
    }
  }
  for (const [table, n] of [...need.entries()].sort((a, b) => a[0].split('/').length - b[0].split('/').length)) {
    await ensureRows(page, table, n);
  }
  const expected = [];
  for (const [pointer, value] of pairs) {
    const first = page.locator(`[name="${pointer}"]`).first();
    assert.ok(await first.count(), `no input named ${pointer}`);
    // Date inputs are text inputs marked data-date (French jj/mm/aaaa, the ISO form also accepted).
    const kind = await first.evaluate((e) => `${e.tagName.toLowerCase()}:${e.hasAttribute('data-date') ? 'date' : e.type || ''}:${
      (e.closest('.saisie-unite') && e.closest('.saisie-unite').querySelector('.unite').textContent) || ''}`);
    if (kind.startsWith('input:radio') || kind.startsWith('input:checkbox')) {
      const option = page.locator(`[name="${pointer}"][value="${value}"]`);
      try {
        await option.check();
      } catch (e) {
        // With JavaScript, leaving the previous field may remove its error message (inline
        // validation) and move the page under the pointer: click again once it is still.
        await page.waitForTimeout(500);
        await option.check();
      }
      if (value !== 'true' && value !== 'false') {
        expected.push(await page.locator(`label[for="${await option.getAttribute('id')}"]`).innerText());
      }
    } else if (kind.startsWith('select')) {
      await first.selectOption(value);
      expected.push(await first.locator('option:checked').innerText());
    } else {
      // A date is typed as a person does, in the French format.
      await first.fill(kind.startsWith('input:date') ? frenchDate(value) : value);
      if (kind.startsWith('input:date')) expected.push(frenchDate(value));
      else if (kind.endsWith(':€') || kind.endsWith(':%')) expected.push(frenchNumber(value, kind.slice(-1)));
      else expected.push(value);
    }
  }
  return { pairs, expected };
}

// Every input still holds its value (after a reload or a round trip).
export async function assertFilled(page, pairs) {
  for (const [pointer, value] of pairs) {
    const first = page.locator(`[name="${pointer}"]`).first();
    const type = await first.evaluate((e) => `${e.tagName.toLowerCase()}:${e.hasAttribute('data-date') ? 'date' : e.type || ''}`);
    if (type === 'input:radio' || type === 'input:checkbox') {
      assert.ok(await page.locator(`[name="${pointer}"][value="${value}"]`).isChecked(), `${pointer} = ${value} not checked`);
    } else if (type === 'input:date') {
      assert.equal(await first.inputValue(), frenchDate(value), `${pointer}`);
    } else {
      const shown = await first.inputValue();
      assert.equal(shown.replace(',', '.'), value.replace(',', '.'), `${pointer}`);
    }
  }
}

export function normalise(text) {
  return text.replace(/[\s\u00a0\u202f]+/g, ' ').trim();
}

// Every text of the PDF, footers included.
export function pdfRawText(bytes) {
  return normalise(execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], { input: bytes, encoding: 'utf8' }));
}

// The PDF's text in reading order (pdftotext -raw), without the running footer and header
// lines that would cut a value continued on the next page (as tests/support pdfBodyText does).
export function pdfText(bytes) {
  const raw = execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', '-', '-'], { input: bytes, encoding: 'utf8' });
  const pages = raw.split('\f').map((p) => p.split('\n').filter((l) => l.length))
    .filter((p) => p.length).map((p) => (p.length && / page /.test(p[p.length - 1]) ? p.slice(0, -1) : p));
  const sameHeader = pages.length > 1 && pages.every((p) => p.length && p[p.length - 1] === pages[0][pages[0].length - 1]);
  return normalise(pages.map((p) => (sameHeader ? p.slice(0, -1) : p).join('\n')).join('\n'));
}

export function assertPdfHolds(bytes, expected, what) {
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', `${what}: not a PDF`);
  const text = pdfText(bytes);
  const missing = expected.map(normalise).filter((e) => e && !text.includes(e));
  assert.deepEqual(missing, [], `${what}: values missing from the PDF text`);
  return text;
}

// Clicks a download link; returns the file's bytes.
export async function download(page, locator) {
  const [dl] = await Promise.all([page.waitForEvent('download'), locator.click()]);
  const path = await dl.path();
  return { bytes: readFileSync(path), name: dl.suggestedFilename() };
}

// Submit the page with nothing typed: the error summary lists the problems and links each one
// to an element of the page; invalid fields carry aria-invalid.
export async function assertErrorSummary(page, firstInvalidPointer) {
  const summary = page.locator('[data-error-summary]');
  assert.ok(await summary.isVisible(), 'error summary');
  const links = summary.locator('a');
  const n = await links.count();
  assert.ok(n > 0, 'error summary links');
  for (let i = 0; i < n; i++) {
    const href = await links.nth(i).getAttribute('href');
    assert.match(href, /^#f-/);
    assert.equal(await page.locator(href).count(), 1, `link ${href} lands on one element`);
  }
  // The element the pointer names (an input, the first radio of a choice, a group's fieldset).
  const target = `#f${firstInvalidPointer.replace(/\//g, '-')}`;
  assert.equal(await page.getAttribute(target, 'aria-invalid'), 'true', `aria-invalid on ${target}`);
  const described = await page.locator(target).evaluate((e) =>
    (e.closest('fieldset.choix-groupe') && e.type === 'radio' ? e.closest('fieldset.choix-groupe') : e).getAttribute('aria-describedby'));
  assert.ok(described && described.includes('--error'), `aria-describedby of ${target}: ${described}`);
  if (page.javaScript) {
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.hasAttribute('data-error-summary')), true,
      'the summary takes focus');
  }
  return n;
}

// The whole journey for one form: from the dossier, open a new document of `linkName`
// (choosing `variantLabel` when the form asks), submit it empty, fill every field of
// `exampleFile`, save the draft, reload it, preview it (PDF and XLSX when offered) and
// finalise it; the final PDF's text holds every value typed.
export async function fillAndFinalise(h, server, { page, dossierUrl, linkName, variantLabel, exampleFile, firstRequired, tag, xlsx,
  absent, onDraft }) {
  const example = readExample(server.sourceDir, exampleFile);
  await page.goto(dossierUrl);
  await clickAndWait(page, page.getByRole('link', { name: linkName, exact: true }));
  if (variantLabel) {
    // The model is never guessed: the page asks for it.
    assert.equal(await page.locator('[name="/evaluation/type"], [name^="/"]').count(), 0, 'no field before the model is chosen');
    await h.checkPage(page, `modele-${tag}`);
    await page.getByLabel(variantLabel).check();
    await clickAndWait(page, page.getByRole('button', { name: 'Continuer' }));
  }
  await h.checkPage(page, `formulaire-${tag}-vide`);
  if (absent) assert.equal(await page.locator(`[name^="${absent}"]`).count(), 0, `nothing under ${absent} is asked`);
  await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
  await assertErrorSummary(page, firstRequired);
  await h.checkPage(page, `formulaire-${tag}-erreurs`);
  const draftUrl = page.url().replace(/[?#].*$/, '');
  const { pairs, expected } = await fillForm(page, example);
  await clickAndWait(page, page.getByRole('button', { name: 'Enregistrer le brouillon' }).last());
  await h.checkPage(page, `formulaire-${tag}-rempli`);
  await page.goto(draftUrl);
  await assertFilled(page, pairs);
  if (onDraft) await onDraft(page);
  await clickAndWait(page, page.getByRole('button', { name: /^Aperçu/ }));
  assert.match(page.url(), /\/apercu$/);
  const preview = await download(page, page.getByRole('link', { name: 'Télécharger l’aperçu PDF' }));
  assertPdfHolds(preview.bytes, expected, `aperçu ${tag}`);
  assert.ok(pdfRawText(preview.bytes).includes('BROUILLON'), 'the preview says BROUILLON');
  if (xlsx) {
    const sheet = await download(page, page.getByRole('link', { name: 'Télécharger l’aperçu XLSX' }));
    assert.equal(sheet.bytes.subarray(0, 2).toString('latin1'), 'PK', 'an XLSX (zip) preview');
  }
  await page.goto(draftUrl);
  await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
  assert.match(page.url(), /\/documents\/doc_[0-9a-f]{16}\?revision=1/, `finalised (${page.url()})`);
  await h.checkPage(page, `document-${tag}`);
  const final = await download(page, page.getByRole('link', { name: /Télécharger le PDF/ }).first());
  const text = assertPdfHolds(final.bytes, expected, `document ${tag}`);
  assert.ok(!pdfRawText(final.bytes).includes('BROUILLON'));
  return { example, text, documentUrl: page.url().replace(/[?#].*$/, '') };
}
