// Journeys: the association's dossiers (issue 9). Create a dossier (errors first), find it by a
// search that differs in accents and case, open it; another organisation's dossier is 404.
import { assert, signIn, signOut, mainText, submit } from '../lib/steps.mjs';
import { PHONE } from '../lib/browser.mjs';

const PASSWORD = 'un mot de passe solide 2026';

export function setup(server) {
  server.createOrg('ADGESTI');
  server.createOrg('Habitat Solidaire');
  server.createOrg('Sarthe Habitat', 'bailleur');
  server.createUser('ADGESTI', 'marc@adgesti.fr', 'Marc Durand', 'membre', PASSWORD);
  server.createUser('ADGESTI', 'claire@adgesti.fr', 'Claire Lefèvre', 'admin', PASSWORD);
  server.createUser('Habitat Solidaire', 'ines@habitat-solidaire.fr', 'Inès Martin', 'membre', PASSWORD);
  server.createUser('Sarthe Habitat', 'cesf@sarthe-habitat.fr', 'Paul Bernard', 'membre', PASSWORD);
}

function journeys(js) {
  const tag = js ? 'js' : 'nojs';
  const label = js ? '' : ' (sans JavaScript)';
  const ref = js ? 'ADG-2026-0147' : 'ADG-2026-0148';
  const nom = js ? 'Lefèvre-Œuvrard' : 'Ségolène N’Diaye';
  const search = js ? 'lefevre oeuv' : 'SEGOLENE ndia';
  return [{
    name: `créer un dossier, le retrouver par la recherche, l’ouvrir${label}`,
    async run(h) {
      const page = await h.newPage({ javaScript: js });
      await signIn(page, 'marc@adgesti.fr', PASSWORD);
      await page.getByRole('link', { name: 'Nouveau dossier' }).click();
      await page.waitForURL(/\/dossiers\/nouveau$/);
      await h.checkPage(page, `dossier-nouveau-${tag}`);
      // Submitted without the household's name: error summary linking to the input.
      await page.getByLabel('Référence du dossier').fill(ref);
      await submit(page, 'Créer le dossier');
      assert.ok((await mainText(page)).includes('Saisissez le nom de la personne de référence du ménage.'));
      assert.equal(await page.getAttribute('[name="/menage/membres/0/nom"]', 'aria-invalid'), 'true');
      assert.equal(await page.inputValue('[name="/reference"]'), ref, 'typed values are kept');
      const link = page.locator('.resume-erreurs a');
      assert.equal(await link.getAttribute('href'), '#menage-membres-0-nom');
      await h.checkPage(page, `dossier-nouveau-erreur-${tag}`);
      await link.click();
      if (js) assert.equal(await page.evaluate(() => document.activeElement.name), '/menage/membres/0/nom');
      await page.getByLabel('Nom de la personne de référence du ménage').fill(nom);
      await page.getByLabel('Prénom').fill('Hélène');
      await page.getByLabel('Numéro unique de demande de logement social').fill('0752612345678A');
      await submit(page, 'Créer le dossier');
      assert.match(page.url(), /\/dossiers\/dos_[0-9a-f]{16}/);
      const dossierUrl = page.url().replace(/\?.*$/, '');
      let text = await mainText(page);
      assert.ok(text.includes('Le dossier a été créé.'), text);
      assert.ok(text.includes(`Dossier ${ref}`) && text.includes(`Hélène ${nom}`) && text.includes('Marc Durand'), text);
      assert.match(text, /Ouvert le \d\d\/\d\d\/\d{4}/);
      const fiche = page.getByRole('link', { name: 'Fiche navette' });
      assert.match(await fiche.getAttribute('href'), /\/dossiers\/dos_[0-9a-f]{16}\/documents\/nouveau\?formulaire=fiche-navette$/);
      await h.checkPage(page, `dossier-${tag}`);

      // Search: other case, no accents, part of the name; then by part of the numéro unique.
      await page.getByRole('link', { name: 'Dossiers', exact: true }).click();
      await page.getByLabel('Rechercher', { exact: true }).fill(search);
      await submit(page, 'Filtrer');
      text = await mainText(page);
      assert.ok(text.includes('1 dossier correspondant à votre recherche.'), text);
      assert.ok(text.includes(ref), text);
      await h.checkPage(page, `dossiers-recherche-${tag}`);
      await page.getByLabel('Rechercher', { exact: true }).fill('pas de dossier comme ça');
      await submit(page, 'Filtrer');
      assert.ok((await mainText(page)).includes('Aucun dossier ne correspond à votre recherche.'));
      await page.goto('/dossiers?q=2612345');
      assert.ok((await mainText(page)).includes(ref));
      await page.getByLabel('Statut').selectOption('clos');
      await submit(page, 'Filtrer');
      assert.ok((await mainText(page)).includes('Aucun dossier ne correspond'));
      await page.goto('/dossiers');
      await page.getByRole('link', { name: ref }).click();
      assert.equal(page.url(), dossierUrl);

      // Closing asks first and explains the retention; a closed dossier can be reopened.
      await page.getByRole('link', { name: 'Clore le dossier' }).click();
      await page.waitForURL(/\/clore$/);
      text = await mainText(page);
      assert.ok(text.includes('après la clôture, le dossier est archivé'), text);
      assert.ok(text.includes('les données personnelles du ménage sont effacées'), text);
      await h.checkPage(page, `dossier-clore-${tag}`);
      await submit(page, 'Clore le dossier');
      await page.waitForURL(/message=clos/);
      text = await mainText(page);
      assert.ok(text.includes('Le dossier a été clos'), text);
      assert.match(text, /Clos le\s+\d\d\/\d\d\/\d{4}/);
      await h.checkPage(page, `dossier-clos-${tag}`);
      await submit(page, 'Rouvrir le dossier');
      await page.waitForURL(/message=rouvert/);
      assert.ok((await mainText(page)).includes('Le dossier a été rouvert'));

      // Another association does not see it: 404, the same page as for an unknown address.
      await signOut(page);
      await signIn(page, 'ines@habitat-solidaire.fr', PASSWORD);
      const resp = await page.goto(dossierUrl);
      assert.equal(resp.status(), 404);
      assert.ok((await mainText(page)).includes('Page introuvable'));
      await h.checkPage(page, `erreur-404-${tag}`);
      await page.goto('/dossiers');
      assert.ok(!(await mainText(page)).includes(ref));
      // A landlord's user signs in to its (simple) home.
      await signOut(page);
      await signIn(page, 'cesf@sarthe-habitat.fr', PASSWORD);
      assert.match(page.url(), /\/accueil$/);
      await h.checkPage(page, `accueil-bailleur-${tag}`);
      assert.equal((await page.goto(dossierUrl)).status(), 404);
    },
  }];
}

export default [
  ...journeys(true),
  ...journeys(false),
  {
    name: 'administration des comptes, puis la liste sur un téléphone',
    async run(h) {
      const page = await h.newPage({ javaScript: true });
      await signIn(page, 'claire@adgesti.fr', PASSWORD);
      await page.getByRole('link', { name: 'Utilisateurs' }).click();
      await h.checkPage(page, 'utilisateurs');
      await page.getByLabel('Prénom et nom').fill('Lucie Petit');
      await page.getByLabel('Adresse électronique').fill('lucie@adgesti.fr');
      await submit(page, 'Créer le compte');
      const text = await mainText(page);
      assert.ok(text.includes('Le compte de Lucie Petit a été créé.'), text);
      const oneTime = await page.locator('.bandeau .code').innerText();
      assert.match(oneTime, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
      await h.checkPage(page, 'utilisateurs-cree');
      // Disabled, she cannot sign in.
      await page.getByRole('button', { name: 'Désactiver Lucie Petit' }).click();
      await page.waitForURL(/message=desactive/);
      await signOut(page);
      await signIn(page, 'lucie@adgesti.fr', oneTime);
      assert.ok((await mainText(page)).includes('incorrect'));
      // A member does not see the users page (404).
      await signIn(page, 'marc@adgesti.fr', PASSWORD);
      assert.equal((await page.goto('/utilisateurs')).status(), 404);
      const phone = await h.newPage({ javaScript: true, viewport: PHONE });
      await signIn(phone, 'marc@adgesti.fr', PASSWORD);
      await phone.goto('/dossiers');
      await h.checkPage(phone, 'dossiers-telephone');
    },
  },
];
