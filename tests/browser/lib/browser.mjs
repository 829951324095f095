// Chromium (Debian's) through playwright-core, axe-core on every page checked,
// screenshots at tablet width under the build folder.
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM = process.env.PASSERELLE_CHROMIUM || '/usr/bin/chromium';
export const TABLET = { width: 768, height: 1024 };
export const PHONE = { width: 375, height: 740 };

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// What a journey uses: contexts (with or without JavaScript), the axe check and screenshots.
export class Harness {
  constructor({ browser, baseUrl, screenshotDir }) {
    this.browser = browser;
    this.baseUrl = baseUrl;
    this.screenshotDir = screenshotDir;
    this.checked = [];
    mkdirSync(screenshotDir, { recursive: true });
  }

  // A fresh browser profile at tablet width. Console errors (a CSP violation among them) fail the journey.
  async newPage({ javaScript = true, viewport = TABLET } = {}) {
    const context = await this.browser.newContext({ javaScriptEnabled: javaScript, viewport, locale: 'fr-FR', baseURL: this.baseUrl });
    const page = await context.newPage();
    page.consoleErrors = [];
    // A page answered 4xx on purpose (404 page, refused sign-in) logs "Failed to load resource" for the
    // document itself: subresources are checked by their responses instead.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.consoleErrors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && r.request().resourceType() !== 'document') page.consoleErrors.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
    page.javaScript = javaScript;
    return page;
  }

  // axe-core on the current page: no serious or critical violation. With JavaScript disabled the
  // page's HTML is checked in a JavaScript-enabled twin page (same origin, same stylesheet).
  async checkPage(page, name, { screenshot = true } = {}) {
    let target = page;
    let twin;
    if (!page.javaScript) {
      const html = await page.content();
      twin = await this.newPage({ javaScript: true, viewport: page.viewportSize() });
      await twin.route('**/__axe__', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }));
      await twin.goto('/__axe__');
      target = twin;
    }
    await target.evaluate(AXE_SOURCE);
    const result = await target.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
    });
    if (twin) await twin.context().close();
    const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    this.checked.push({ name, url: page.url(), violations: result.length });
    if (screenshot) await page.screenshot({ path: join(this.screenshotDir, `${name}.png`), fullPage: true });
    if (bad.length) throw new Error(`axe: ${bad.length} serious/critical violation(s) on ${name} (${page.url()}):\n` +
      bad.map((v) => `  ${v.impact} ${v.id}: ${v.help} → ${v.nodes.join(', ')}`).join('\n'));
    if (page.consoleErrors.length) throw new Error(`console errors on ${name}:\n  ${page.consoleErrors.join('\n  ')}`);
    const lang = await page.getAttribute('html', 'lang');
    if (lang !== 'fr') throw new Error(`${name}: <html lang="${lang}">, expected fr`);
    const title = await page.title();
    if (!title || !title.includes('Passerelle')) throw new Error(`${name}: page title "${title}"`);
  }
}
