// Journeys: a contrat d'objectifs tripartite, with and without JavaScript: every field of the
// example typed (objectives, commitments and signatories as table rows added in the browser),
// computed figures shown and not typed, finalised; the PDF holds every value typed.
import { assert, signIn } from '../lib/steps.mjs';
import { createDossier, fillAndFinalise } from '../lib/forms.mjs';

const PASSWORD = 'un mot de passe solide 2026';

export function setup(server) {
  server.createOrg('AMLI');
  server.createUser('AMLI', 'paul@amli.fr', 'Paul Girard', 'membre', PASSWORD);
}

function journey(js) {
  return {
    name: `contrat d’objectifs : brouillon, aperçu, finalisation, PDF${js ? '' : ' (sans JavaScript)'}`,
    async run(h, server) {
      const page = await h.newPage({ javaScript: js });
      await signIn(page, 'paul@amli.fr', PASSWORD);
      const dossierUrl = await createDossier(page, `AMLI-2026-${js ? '01' : '02'}`, 'Nguyen', 'Lan');
      const tag = `contrat-objectifs-${js ? 'js' : 'nojs'}`;
      await fillAndFinalise(h, server, {
        page, dossierUrl, linkName: 'Contrat d’objectifs tripartite', exampleFile: 'contrat-objectifs-amli-acces.json',
        firstRequired: '/version', tag,
        async onDraft(draft) {
          // Computed fields are shown once the draft validates, never typed.
          assert.equal(await draft.locator('[name="/logement/tauxEffort"]').count(), 0);
          assert.match(await draft.innerText('#f-logement-tauxEffort'), /^\d+(,\d+)?\s%$/);
          assert.match(await draft.innerText('#f-modalites-dateFin'), /^\d\d\/\d\d\/\d{4}$/);
        },
      });
    },
  };
}

export default [journey(true), journey(false)];
