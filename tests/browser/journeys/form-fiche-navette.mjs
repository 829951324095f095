// Journeys: a fiche navette from a dossier (issue 9, items 3–5), with and without JavaScript.
// Open a new fiche navette, submit it empty (error summary, aria-invalid), fill every field of
// the example (table rows added in the browser), save the draft, reload and find it, preview it
// (marked BROUILLON), finalise, download: the PDF's text holds every value typed.
import { assert, signIn, mainText } from '../lib/steps.mjs';
import { readExample, createDossier, clickAndWait, fillForm, assertFilled, assertPdfHolds, pdfRawText, download,
  assertErrorSummary } from '../lib/forms.mjs';

const PASSWORD = 'un mot de passe solide 2026';

export function setup(server) {
  server.createOrg('ADGESTI');
  server.createOrg('Habitat Solidaire');
  server.createUser('ADGESTI', 'claire@adgesti.fr', 'Claire Lefèvre', 'membre', PASSWORD);
  server.createUser('Habitat Solidaire', 'ines@habitat-solidaire.fr', 'Inès Martin', 'membre', PASSWORD);
}

function journey(js) {
  const tag = js ? 'js' : 'nojs';
  return {
    name: `fiche navette : brouillon, aperçu, finalisation, PDF${js ? '' : ' (sans JavaScript)'}`,
    async run(h, server) {
      const example = readExample(server.sourceDir, 'fiche-navette-association-vers-bailleur.json');
      const page = await h.newPage({ javaScript: js });
      await signIn(page, 'claire@adgesti.fr', PASSWORD);
      const dossierUrl = await createDossier(page, js ? 'ADG-2026-0201' : 'ADG-2026-0202', 'Benali', 'Samira');

      // From the dossier, a new fiche navette: the page generated from its definition.
      await clickAndWait(page, page.getByRole('link', { name: 'Fiche navette' }));
      assert.match(page.url(), /\/documents\/nouveau\?formulaire=fiche-navette/);
      assert.ok((await mainText(page)).includes('Nouveau document'));
      assert.equal(await page.locator('[name="/menage/composition/0/nom"]').count(), 1);
      // A date is a text input in the French format (jj/mm/aaaa), marked data-date.
      assert.equal(await page.locator('[name="/date"]').getAttribute('type'), 'text');
      assert.equal(await page.locator('[name="/date"]').getAttribute('data-date'), '');
      await h.checkPage(page, `formulaire-fiche-navette-vide-${tag}`);

      // Finalised empty: errors at the top, linked to their fields; nothing typed is lost (nothing was).
      await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
      assert.match(page.url(), /\/brouillons\/brl_[0-9a-f]{16}(\?erreurs=1)?$/);
      const errors = await assertErrorSummary(page, '/date');
      assert.ok(errors >= 8, `errors listed: ${errors}`);
      assert.ok((await mainText(page)).includes('Date de la fiche : Champ obligatoire manquant.'));
      await h.checkPage(page, `formulaire-fiche-navette-erreurs-${tag}`);
      const link = page.locator('[data-error-summary] a[href="#f-date"]');
      await link.click();
      if (js) assert.equal(await page.evaluate(() => document.activeElement.name), '/date');
      else assert.match(page.url(), /#f-date$/);
      const draftUrl = page.url().replace(/[?#].*$/, '');

      if (js) {
        // Inline validation through the server's rules, and the character counter.
        await page.fill('[name="/logement/codePostal"]', '72');
        await page.locator('[name="/logement/commune"]').focus();
        await page.waitForSelector('#f-logement-codePostal--error');
        assert.ok((await page.innerText('#f-logement-codePostal--error')).includes('Texte trop court'));
        assert.equal(await page.getAttribute('[name="/logement/codePostal"]', 'aria-invalid'), 'true');
        await page.fill('[name="/observations"]', 'abc');
        assert.ok((await page.innerText('[data-counter-for="f-observations"]')).includes('Il vous reste 19'));
      }

      // Every field of the example; the tables get their rows from their own buttons.
      const { pairs, expected } = await fillForm(page, example);
      assert.ok((await page.locator('[data-table="/menage/composition"] [data-row]').count()) >= 3);
      assert.ok((await page.locator('[data-table="/actions"] [data-row]').count()) >= 3);
      if (js) {
        // Saved by itself (while typing, and a few seconds after the last change): once nothing is pending,
        // a reload finds every value.
        await page.waitForSelector('form[data-autosave-state="saved"]', { state: 'attached', timeout: 15000 });
        assert.ok(/enregistré automatiquement/.test(await page.innerText('[data-autosave-status]')));
        await page.reload();
        await assertFilled(page, pairs);
      }
      await clickAndWait(page, page.getByRole('button', { name: 'Enregistrer le brouillon' }).last());
      assert.ok((await mainText(page)).includes('Brouillon enregistré le'));
      await h.checkPage(page, `formulaire-fiche-navette-rempli-${tag}`);

      // Reload, and find it again among the dossier's drafts: every value is there.
      await page.reload();
      await assertFilled(page, pairs);
      await page.goto(`${dossierUrl}/brouillons`);
      await h.checkPage(page, `brouillons-${tag}`);
      await clickAndWait(page, page.locator(`a[href="${draftUrl.replace(server.baseUrl, '')}"]`));
      assert.ok((await mainText(page)).includes('Fiche navette'));
      await assertFilled(page, pairs);

      // Preview: a PDF marked as a draft, with the values.
      await clickAndWait(page, page.getByRole('button', { name: /^Aperçu/ }));
      assert.match(page.url(), /\/apercu$/);
      assert.ok((await mainText(page)).includes('non finalisé'));
      await h.checkPage(page, `apercu-fiche-navette-${tag}`);
      const preview = await download(page, page.getByRole('link', { name: 'Télécharger l’aperçu PDF' }));
      assertPdfHolds(preview.bytes, expected, 'aperçu');
      assert.ok(pdfRawText(preview.bytes).includes('BROUILLON'), 'the preview says BROUILLON');
      assert.match(preview.name, /^apercu-/);

      // Finalised with one invalid value: refused, the error named, and every value typed still there.
      await page.goto(draftUrl);
      await page.fill('[name="/logement/codePostal"]', '72');
      await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
      assert.match(page.url(), /\/brouillons\/brl_[0-9a-f]{16}(\?erreurs=1)?$/);
      await assertErrorSummary(page, '/logement/codePostal');
      assert.equal(await page.inputValue('[name="/logement/codePostal"]'), '72', 'the invalid value is kept as typed');
      await assertFilled(page, pairs.filter(([name]) => name !== '/logement/codePostal'));
      await page.fill('[name="/logement/codePostal"]', example.logement.codePostal);

      // Finalise: the document exists, its PDF holds every value typed and is not a draft.
      await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
      assert.match(page.url(), /\/documents\/doc_[0-9a-f]{16}\?revision=1/);
      assert.ok((await mainText(page)).includes('Document finalisé'));
      await h.checkPage(page, `document-fiche-navette-${tag}`);
      const final = await download(page, page.getByRole('link', { name: /Télécharger le PDF/ }).first());
      assertPdfHolds(final.bytes, expected, 'document final');
      assert.ok(!pdfRawText(final.bytes).includes('BROUILLON'), 'the final document is not marked BROUILLON');
      const documentUrl = page.url().replace(/[?#].*$/, '');

      // The closed draft leads to its document; the dossier lists the document.
      await page.goto(draftUrl);
      assert.equal(page.url().replace(/[?#].*$/, ''), documentUrl);
      await page.goto(dossierUrl);
      assert.ok(await page.locator(`a[href="${documentUrl.replace(server.baseUrl, '')}"]`).count() >= 1, 'document on the dossier page');

      // A new revision starts from the values of the current one; revision 1 stays readable.
      await page.goto(documentUrl);
      await clickAndWait(page, page.getByRole('button', { name: 'Commencer une nouvelle révision' }));
      assert.match(page.url(), /\/brouillons\/brl_/);
      assert.equal(await page.inputValue('[name="/logement/adresse"]'), example.logement.adresse);
      await page.fill('[name="/logement/adresse"]', '14 rue des Tanneurs');
      await clickAndWait(page, page.getByRole('button', { name: 'Finaliser le document' }));
      assert.match(page.url(), /revision=2/);
      const rev1 = await download(page, page.getByRole('link', { name: /Télécharger le PDF de la révision n° 1/ }));
      assert.ok(assertPdfHolds(rev1.bytes, [example.logement.adresse], 'révision 1'));
      const rev2 = await download(page, page.getByRole('link', { name: /Télécharger le PDF de la révision n° 2/ }));
      assertPdfHolds(rev2.bytes, ['14 rue des Tanneurs'], 'révision 2');

      // A POST without the session's CSRF token changes nothing (403).
      const forged = await page.request.post(draftUrl, { form: { '/logement/adresse': 'falsifiée', _action: 'enregistrer' } });
      assert.equal(forged.status(), 403);
      const autosaveForged = await page.request.post(`${draftUrl}/enregistrer`, { form: { '/logement/adresse': 'falsifiée' } });
      assert.equal(autosaveForged.status(), 403);

      // Another organisation: the draft and the document do not exist for it.
      const other = await h.newPage({ javaScript: js });
      await signIn(other, 'ines@habitat-solidaire.fr', PASSWORD);
      for (const url of [draftUrl, documentUrl, `${draftUrl}/apercu.pdf`]) {
        const r = await other.goto(url);
        assert.equal(r.status(), 404, url);
      }
    },
  };
}

// With JavaScript, a new document's page saves itself: typing creates the draft on the server
// (nothing in the browser's storage), the address becomes the draft's, and the values are there on reload.
const autosave = {
  name: 'fiche navette : enregistrement automatique d’un nouveau document',
  async run(h) {
    const page = await h.newPage({ javaScript: true });
    await signIn(page, 'claire@adgesti.fr', PASSWORD);
    const dossierUrl = await createDossier(page, 'ADG-2026-0203', 'Martin', 'Léa');
    await page.goto(`${dossierUrl}/documents/nouveau?formulaire=fiche-navette`);
    await page.fill('[name="/observations"]', 'Visite à domicile le 22/11 : le ménage souhaite un point d’étape.');
    await page.waitForURL(/\/brouillons\/brl_[0-9a-f]{16}$/, { timeout: 15000 });
    assert.ok((await page.innerText('[data-autosave-status]')).includes('enregistré automatiquement'));
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0], 'nothing kept in the browser');
    await page.reload();
    assert.equal(await page.inputValue('[name="/observations"]'), 'Visite à domicile le 22/11 : le ménage souhaite un point d’étape.');
    const draftUrl = page.url();

    // Leaving while a change is not yet saved: the browser asks first; staying keeps what was typed.
    const dialogs = [];
    page.on('dialog', async (d) => { dialogs.push(d.type()); await d.dismiss(); });
    await page.fill('[name="/observations"]', 'Changement pas encore enregistré.');
    await page.goto(`${dossierUrl}/brouillons`, { timeout: 5000 }).catch(() => {}); // the dismissed prompt cancels it
    assert.deepEqual(dialogs, ['beforeunload'], 'an unsaved change makes the browser ask before leaving');
    assert.equal(page.url(), draftUrl, 'the person stayed on the form');
    assert.equal(await page.inputValue('[name="/observations"]'), 'Changement pas encore enregistré.');
    // Once saved (by itself), leaving asks nothing, and the change is on the server.
    await page.waitForSelector('form[data-autosave-state="saved"]', { state: 'attached', timeout: 15000 });
    await page.goto(`${dossierUrl}/brouillons`);
    assert.deepEqual(dialogs, ['beforeunload'], 'no prompt once everything is saved');
    assert.equal(await page.locator('a[href^="/brouillons/brl_"]').count(), 1);
    await page.goto(draftUrl);
    assert.equal(await page.inputValue('[name="/observations"]'), 'Changement pas encore enregistré.');

    // Someone who types without a pause is saved while typing, not only once they stop.
    const savesWhileTyping = [];
    let typing = true;
    page.on('request', (r) => { if (typing && r.method() === 'POST' && r.url().endsWith('/enregistrer')) savesWhileTyping.push(r.url()); });
    await page.click('[name="/observations"]');
    await page.keyboard.press('End');
    await page.keyboard.type(' Le ménage a apporté les trois derniers avis d’échéance du loyer.', { delay: 130 });
    typing = false;
    assert.ok(savesWhileTyping.length >= 1, `saved while typing (${savesWhileTyping.length} saves during about 8 s of typing)`);
  },
};

export default [journey(true), journey(false), autosave];
