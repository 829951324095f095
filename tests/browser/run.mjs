#!/usr/bin/env node
// Browser journeys of Passerelle's web pages, in Debian's Chromium.
//   node tests/browser/run.mjs --bin build/src/app/passerelle --out build/screenshots [journey-name-filter…]
// Starts a real `passerelle serve` (temp data dir, free port) per journey file, creates the
// organisations and users it needs with the CLI, runs its journeys (with and without
// JavaScript), checks every visited page with axe-core and saves screenshots at 768×1024.
// Exit 0 all passed, 1 a journey failed, 77 skipped (no Chromium or no node_modules: run `npm ci` here).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => { const i = args.indexOf(name); if (i < 0) return fallback; const v = args[i + 1]; args.splice(i, 2); return v; };
const bin = resolve(opt('--bin', join(sourceDir, 'build/src/app/passerelle')));
const out = resolve(opt('--out', join(sourceDir, 'build/screenshots')));
const filters = args;

const chromium = process.env.PASSERELLE_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromium)) { console.log(`SKIP: ${chromium} absent (apt-get install chromium)`); process.exit(77); }
if (!existsSync(join(here, 'node_modules', 'playwright-core')) || !existsSync(join(here, 'node_modules', 'axe-core'))) {
  console.log('SKIP: tests/browser/node_modules absent (cd tests/browser && npm ci)');
  process.exit(77);
}
if (!existsSync(bin)) { console.error(`passerelle binary not found: ${bin}`); process.exit(1); }

const { launch, Harness } = await import('./lib/browser.mjs');
const { PasserelleServer } = await import('./lib/server.mjs');

const files = readdirSync(join(here, 'journeys')).filter((f) => /\.(spec\.)?mjs$/.test(f)).sort();
let failed = 0;
let passed = 0;
// A journey's dangling promise (e.g. a navigation wait left behind by a failed step) must not end the run.
process.on('unhandledRejection', (e) => { console.log(`(unhandled rejection after a failure: ${e && e.message || e})`); });
const browser = await launch();
try {
  for (const file of files) {
    const mod = await import(join(here, 'journeys', file));
    const journeys = (mod.default || []).filter((j) => !filters.length || filters.some((f) => j.name.includes(f) || file.includes(f)));
    if (!journeys.length) continue;
    const server = new PasserelleServer({ bin, sourceDir });
    try {
      if (mod.setup) await mod.setup(server);
      await server.start();
      for (const j of journeys) {
        const h = new Harness({ browser, baseUrl: server.baseUrl, screenshotDir: out });
        const t0 = Date.now();
        try {
          await j.run(h, server);
          passed++;
          console.log(`ok   ${file} › ${j.name} (${Date.now() - t0} ms, ${h.checked.length} pages checked by axe)`);
        } catch (e) {
          failed++;
          console.log(`FAIL ${file} › ${j.name}\n${e && e.stack || e}`);
        } finally {
          await Promise.all(browser.contexts().map((c) => c.close()));
        }
      }
    } catch (e) {
      failed++;
      console.log(`FAIL ${file}: ${e && e.stack || e}\n${server.log || ''}`);
    } finally {
      await server.stop();
    }
  }
} finally {
  await browser.close();
}
console.log(`${passed} journey(s) passed, ${failed} failed; screenshots in ${out}`);
process.exit(failed ? 1 : 0);
