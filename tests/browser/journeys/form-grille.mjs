// Journeys: the grille d'appréciation in each variant (AFFIL, Côtes-d'Armor), with and without
// JavaScript: the model is chosen (never guessed), only its referential is asked, every field of
// the example is typed (members added in the browser), previewed (PDF and XLSX), finalised; the
// PDF holds every value typed.
import { signIn } from '../lib/steps.mjs';
import { createDossier, fillAndFinalise } from '../lib/forms.mjs';

const PASSWORD = 'un mot de passe solide 2026';

export function setup(server) {
  server.createOrg('Foyer d’accueil chartrain');
  server.createUser('Foyer d’accueil chartrain', 'lea@fac.fr', 'Léa Moreau', 'membre', PASSWORD);
}

const VARIANTS = [
  { name: 'affil', label: 'Grille AFFIL (Île-de-France)', example: 'grille-capacite-habiter-affil-suivi-6-mois.json', other: '/cotesDArmor/' },
  { name: 'cotes-darmor', label: 'Outil d’appréciation des Côtes-d’Armor (ADO 22 / Fnars 22)',
    example: 'grille-capacite-habiter-cotes-darmor-initiale.json', other: '/affil/' },
];

function journey(v, js) {
  return {
    name: `grille ${v.name} : modèle choisi, brouillon, aperçu PDF et XLSX, finalisation${js ? '' : ' (sans JavaScript)'}`,
    async run(h, server) {
      const page = await h.newPage({ javaScript: js });
      await signIn(page, 'lea@fac.fr', PASSWORD);
      const dossierUrl = await createDossier(page, `FAC-${v.name}-${js ? 'js' : 'nojs'}`, 'Traoré', 'Awa');
      const tag = `grille-${v.name}-${js ? 'js' : 'nojs'}`;
      await fillAndFinalise(h, server, {
        page, dossierUrl, linkName: 'Grille d’appréciation de la capacité à habiter', variantLabel: v.label,
        exampleFile: v.example, firstRequired: '/evaluation', tag, xlsx: true, absent: v.other,
      });
    },
  };
}

export default VARIANTS.flatMap((v) => [journey(v, true), journey(v, false)]);
