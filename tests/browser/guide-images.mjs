// The screenshots of the French user guide (docs/guide-utilisateur.md), made from the browser
// journeys' screenshots (build/screenshots, full pages at 768 px) as JPEG images of the first
// screen height, so that the guide stays current and small:
//   node tests/browser/guide-images.mjs [build/screenshots] [docs/images/guide]
// Fails, naming it, when a screenshot the guide uses is missing (a journey renamed it).
import { readFileSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './lib/browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(here, '../..');
const from = resolve(process.argv[2] || join(sourceDir, 'build/screenshots'));
const to = resolve(process.argv[3] || join(sourceDir, 'docs/images/guide'));
const guide = readFileSync(join(sourceDir, 'docs/guide-utilisateur.md'), 'utf8');
// Every image the guide shows: images/guide/NAME.jpg ← build/screenshots/NAME.png
const names = [...new Set([...guide.matchAll(/images\/guide\/([a-z0-9-]+)\.jpg/g)].map((m) => m[1]))];
mkdirSync(to, { recursive: true });
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 768, height: 1100 } });
let missing = 0;
for (const name of names) {
  let png;
  try { png = readFileSync(join(from, `${name}.png`)); } catch { console.error(`manque : ${name}.png dans ${from}`); missing++; continue; }
  await page.setContent(`<html><body style="margin:0"><img style="display:block;width:768px" src="data:image/png;base64,${png.toString('base64')}"></body></html>`);
  await page.screenshot({ path: join(to, `${name}.jpg`), type: 'jpeg', quality: 70, clip: { x: 0, y: 0, width: 768, height: 1100 } });
}
await browser.close();
console.log(`${names.length - missing} image(s) écrites dans ${to}${missing ? `, ${missing} manquante(s)` : ''}`);
process.exit(missing ? 1 : 0);
