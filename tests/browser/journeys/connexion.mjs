// Journeys: signing in and out (issue 9). Wrong password refused with the generic message,
// lock after repeated failures, first sign-in with a one-time password, sign-out ends the session.
import { assert, signIn, signOut, mainText, submit } from '../lib/steps.mjs';

const PASSWORD = 'un mot de passe solide 2026';

export function setup(server) {
  server.createOrg('ADGESTI');
  for (const js of ['js', 'nojs']) {
    server.createUser('ADGESTI', `claire.${js}@adgesti.fr`, 'Claire Lefèvre', 'admin', PASSWORD);
    server.createUser('ADGESTI', `verrou.${js}@adgesti.fr`, 'Victor Rousseau', 'membre', PASSWORD);
    server.createUser('ADGESTI', `nouveau.${js}@adgesti.fr`, 'Nina Oudard', 'membre');
  }
}

function journeys(js) {
  const tag = js ? 'js' : 'nojs';
  const label = js ? '' : ' (sans JavaScript)';
  return [
    {
      name: `mauvais mot de passe refusé, puis connexion${label}`,
      async run(h) {
        const page = await h.newPage({ javaScript: js });
        await page.goto('/dossiers');
        assert.match(page.url(), /\/connexion/, 'a signed-out person is sent to the sign-in page');
        await h.checkPage(page, `connexion-${tag}`);
        await signIn(page, `claire.${tag}@adgesti.fr`, 'pas le bon mot de passe');
        assert.match(page.url(), /\/connexion/);
        const text = await mainText(page);
        assert.ok(text.includes('Adresse électronique ou mot de passe incorrect.'), text);
        assert.equal(await page.title(), 'Erreur : se connecter — Passerelle');
        if (js) assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-resume-erreurs')), '',
          'the error summary takes focus');
        await h.checkPage(page, `connexion-erreur-${tag}`);
        // An unknown account gets the very same message.
        await signIn(page, `personne.${tag}@adgesti.fr`, PASSWORD);
        assert.ok((await mainText(page)).includes('Adresse électronique ou mot de passe incorrect.'));
        await signIn(page, `claire.${tag}@adgesti.fr`, PASSWORD);
        assert.match(page.url(), /\/dossiers$/);
        assert.ok((await page.locator('header').innerText()).includes('Claire Lefèvre'));
        await h.checkPage(page, `dossiers-vide-${tag}`);
      },
    },
    {
      name: `verrouillage après des échecs répétés${label}`,
      async run(h) {
        const page = await h.newPage({ javaScript: js });
        let locked = false;
        for (let attempt = 0; attempt < 12 && !locked; attempt++) {
          await signIn(page, `verrou.${tag}@adgesti.fr`, `mauvais-${attempt}`);
          const text = await mainText(page);
          if (text.includes('la connexion est bloquée')) locked = true;
          else if (text.includes('patientez')) await page.waitForTimeout(1100); // growing delay (1 s here)
          else assert.ok(text.includes('incorrect'), text);
        }
        assert.ok(locked, 'the account is locked after repeated failures');
        await h.checkPage(page, `connexion-verrouillee-${tag}`);
        // Even the right password is refused while locked.
        await signIn(page, `verrou.${tag}@adgesti.fr`, PASSWORD);
        assert.match(page.url(), /\/connexion/);
        assert.ok((await mainText(page)).includes('la connexion est bloquée'));
      },
    },
    {
      name: `première connexion avec un mot de passe provisoire${label}`,
      async run(h, server) {
        const user = server.users[`nouveau.${tag}@adgesti.fr`];
        assert.ok(user.password, 'the CLI printed a one-time password');
        const page = await h.newPage({ javaScript: js });
        await signIn(page, user.email, user.password);
        assert.match(page.url(), /\/mot-de-passe$/);
        await h.checkPage(page, `mot-de-passe-provisoire-${tag}`);
        // Until the password is changed, every page leads back here.
        await page.goto('/dossiers');
        assert.match(page.url(), /\/mot-de-passe$/);
        await page.getByLabel('Mot de passe provisoire').fill(user.password);
        await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('court');
        await page.getByLabel('Confirmez le nouveau mot de passe').fill('court');
        await submit(page, 'Enregistrer le mot de passe');
        assert.ok((await mainText(page)).includes('au moins 12 caractères'));
        assert.equal(await page.getAttribute('#password', 'aria-invalid'), 'true');
        await h.checkPage(page, `mot-de-passe-erreur-${tag}`);
        await page.getByRole('link', { name: /au moins 12 caractères/ }).first().click();
        if (js) assert.equal(await page.evaluate(() => document.activeElement.id), 'password', 'the summary link focuses the input');
        await page.getByLabel('Mot de passe provisoire').fill(user.password);
        await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('ma nouvelle phrase secrète');
        await page.getByLabel('Confirmez le nouveau mot de passe').fill('ma nouvelle phrase secrète');
        await submit(page, 'Enregistrer le mot de passe');
        assert.match(page.url(), /\/dossiers$/);
        await signOut(page);
        await signIn(page, user.email, 'ma nouvelle phrase secrète');
        assert.match(page.url(), /\/dossiers$/);
      },
    },
    {
      name: `la déconnexion ferme la session${label}`,
      async run(h) {
        const page = await h.newPage({ javaScript: js });
        await signIn(page, `claire.${tag}@adgesti.fr`, PASSWORD);
        assert.match(page.url(), /\/dossiers$/);
        const cookies = await page.context().cookies();
        const session = cookies.find((c) => c.name === 'psl_session');
        assert.ok(session && session.httpOnly && session.sameSite === 'Lax', JSON.stringify(cookies));
        await signOut(page);
        assert.ok((await mainText(page)).includes('Vous êtes déconnecté.'));
        await h.checkPage(page, `deconnexion-${tag}`);
        // The old cookie is worth nothing now: the server ended the session.
        await page.context().addCookies([{ ...session }]);
        await page.goto('/dossiers');
        assert.match(page.url(), /\/connexion/);
      },
    },
  ];
}

export default [...journeys(true), ...journeys(false)];
