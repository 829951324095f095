// Journey: a landlord's person chooses which e-mails Passerelle sends them (issue 12, « Mes notifications »).
// Default: everything on; turning « Document reçu » off is saved and shown; the page passes axe-core.
import { assert, signIn, mainText, submit } from '../lib/steps.mjs';

const PASSWORD = 'un mot de passe solide 2026';

export function setup(server) {
  server.createOrg('Côtes d’Armor Habitat', 'bailleur');
  server.createUser('Côtes d’Armor Habitat', 'cesf.preferences@cdah.fr', 'Paul Bernard', 'membre', PASSWORD);
}

export default [
  {
    name: 'préférences de notification : tout activé par défaut, un choix enregistré',
    async run(h) {
      const page = await h.newPage({ javaScript: false });
      await signIn(page, 'cesf.preferences@cdah.fr', PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Notifications' }).click()]);
      assert.match(page.url(), /\/preferences$/, 'reached from the navigation');
      assert.equal(await page.title(), 'Mes notifications — Passerelle');
      const recu = page.getByLabel('Document reçu');
      assert.ok(await recu.isChecked(), 'on by default');
      assert.ok(await page.getByLabel('Signature attendue').isChecked());
      assert.ok((await mainText(page)).includes('cesf.preferences@cdah.fr'));
      await h.checkPage(page, 'preferences');
      await recu.uncheck();
      await submit(page, 'Enregistrer mes préférences');
      assert.match(page.url(), /\/preferences\?fait=1$/);
      assert.ok((await mainText(page)).includes('Vos préférences de notification sont enregistrées.'));
      assert.ok(!(await page.getByLabel('Document reçu').isChecked()), 'saved off');
      assert.ok(await page.getByLabel('Signature attendue').isChecked(), 'the others stay on');
      await h.checkPage(page, 'preferences-enregistrees');
    },
  },
];
