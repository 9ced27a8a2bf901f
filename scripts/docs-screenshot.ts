/**
 * The API reference as a reader sees it: builds the typedoc site into a
 * temporary folder (never docs/api), serves it on 127.0.0.1, and opens the
 * landing page, @netmem/core's landing page and the MemoryDomain class page
 * in Debian's headless Chromium through playwright-core. Each page must load
 * with no console error or warning, no failed request and the right title
 * and heading; the navigation must show every package's sections in the
 * order typedoc.base.json gives them; EventEmitter must link to
 * eventemitter3. A PNG of each page is saved for a person to look at.
 *
 *   node --conditions=@netmem/source --import tsx scripts/docs-screenshot.ts [outdir]
 *
 * Without outdir the PNGs go to a new temporary folder; the paths are
 * printed. `tests/api-docs-site.test.ts` runs the same check.
 *
 * The site is served over HTTP rather than opened as file://, because
 * Chromium refuses the SVG icon sprite across file: origins and logs an
 * error per icon.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFile, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
// playwright-core is a devDependency of @netmem/trace (its HTML report test); it is reused from there rather than installed twice.
import type * as Playwright from '../packages/trace/node_modules/playwright-core/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian's Chromium, as the trace package's HTML test uses it (`.ci/run` installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** The navigation sections each module must show, in order (module label as the sidebar prints it). */
export const EXPECTED_SECTIONS: readonly (readonly [string, readonly string[]])[] = [
  ['@netmem/core', ['Pool', 'Memory', 'DMA', 'Provider contract', 'Stack model', 'Control plane', 'Errors', 'Clock']],
  ['@netmem/core/provider', ['Provider contract']],
  ['@netmem/core/testing', ['Checks and testing', 'Errors']],
  ['@netmem/provider-devmem', ['Provider', 'Binding', 'Netlink', 'Socket API', 'Checks']],
  ['@netmem/provider-iouring', ['Ring', 'Zero-copy receive', 'User space', 'Worker', 'Checks']],
  ['@netmem/trace', ['Analysis', 'Reading traces', 'Reconstruction', 'Replay', 'Writing traces', 'Report']],
];

/** What one page showed. */
export interface PageCheck {
  /** Path inside the site. */
  path: string;
  /** document.title. */
  title: string;
  /** The first h1. */
  heading: string;
  /** Console errors and warnings, page errors, failed or non-2xx requests. */
  problems: string[];
  /** The sidebar's folder labels (modules and sections), in order. */
  nav: string[];
  /** The PNG written. */
  screenshot: string;
}

/** What {@link checkApiSite} found. */
export interface SiteCheck {
  /** Milliseconds typedoc took. */
  buildMs: number;
  /** Milliseconds the browser part took. */
  browseMs: number;
  /** The landing page, core's landing page and the MemoryDomain class page. */
  pages: PageCheck[];
  /** Where the EventEmitter base class of MemoryDomain links to ('' when it is not a link). */
  eventEmitterHref: string;
}

/** Builds the site into `out` with the repository's typedoc.json; throws with typedoc's output on any warning or error. */
export function buildApiSite(out: string): number {
  const t0 = performance.now();
  let log: string;
  try {
    log = execFileSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`typedoc failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  if (/\[warning\]|\[error\]/.test(log)) throw new Error(`typedoc warned:\n${log}`);
  return performance.now() - t0;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
};

/** A static server for `dir` on 127.0.0.1 (a free port); /favicon.ico answers 204 so the browser logs nothing for it. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/favicon.ico') {
      res.statusCode = 204;
      res.end();
      return;
    }
    const file = join(dir, decodeURIComponent(url.pathname).replace(/\/$/, '/index.html'));
    if (!file.startsWith(dir + sep)) {
      res.statusCode = 403;
      res.end();
      return;
    }
    readFile(file, (err, data) => {
      if (err) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.end(data);
    });
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

/** The page of the class `name` of core's root entry (its file name carries the module path). */
function classPage(site: string, name: string): string {
  const file = readdirSync(join(site, 'classes')).find((f) => f.startsWith('_netmem_core.') && f.endsWith(`.${name}.html`));
  if (!file) throw new Error(`no page for class ${name} in ${join(site, 'classes')}`);
  return `classes/${file}`;
}

async function visit(context: Playwright.BrowserContext, base: string, path: string, shot: string): Promise<PageCheck> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(base + path, { waitUntil: 'load' });
  // The sidebar is filled in by assets/navigation.js after load.
  await page.locator('nav.tsd-navigation summary').first().waitFor({ timeout: 10_000 });
  const nav = await page.$$eval('nav.tsd-navigation summary', (els) => els.map((e) => (e.textContent ?? '').trim()));
  const title = await page.title();
  const heading = ((await page.locator('h1').first().textContent()) ?? '').trim();
  await page.screenshot({ path: shot });
  await page.close();
  return { path, title, heading, problems, nav, screenshot: shot };
}

/**
 * Builds the site into a temporary folder, checks it in Chromium and writes
 * landing.png, core.png and memory-domain.png into `shotDir`. It reports what
 * it saw and leaves the judging to the caller (see {@link siteProblems}).
 */
export async function checkApiSite(shotDir: string): Promise<SiteCheck> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  mkdirSync(shotDir, { recursive: true });
  const site = mkdtempSync(join(os.tmpdir(), 'netmem-api-site-'));
  const profile = mkdtempSync(join(os.tmpdir(), 'netmem-chromium-'));
  let server: Server | undefined;
  let context: Playwright.BrowserContext | undefined;
  try {
    const buildMs = buildApiSite(site);
    const t0 = performance.now();
    server = await serve(site);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { chromium } = createRequire(join(root, 'packages/trace/package.json'))('playwright-core') as typeof Playwright;
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const mdPath = classPage(site, 'MemoryDomain');
    const pages = [
      await visit(context, base, 'index.html', join(shotDir, 'landing.png')),
      await visit(context, base, 'modules/_netmem_core.html', join(shotDir, 'core.png')),
      await visit(context, base, mdPath, join(shotDir, 'memory-domain.png')),
    ];
    const md = await context.newPage();
    await md.goto(base + mdPath);
    const ee = md.locator('.tsd-hierarchy a', { hasText: 'EventEmitter' }).first();
    const eventEmitterHref = (await ee.count()) > 0 ? ((await ee.getAttribute('href')) ?? '') : '';
    await md.close();
    return { buildMs, browseMs: performance.now() - t0, pages, eventEmitterHref };
  } finally {
    await context?.close();
    server?.close();
    rmSync(site, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

/** True when `nav` holds `module` followed at once by exactly `sections`. */
export function showsSections(nav: readonly string[], module: string, sections: readonly string[]): boolean {
  for (let i = 0; i < nav.length; i++) {
    if (nav[i] !== module) continue;
    const next = nav.slice(i + 1, i + 1 + sections.length);
    const after = nav[i + 1 + sections.length];
    // The run ends at the next module (or the end): no extra section hides behind the expected ones.
    if (next.join('\n') === sections.join('\n') && (after === undefined || after.startsWith('@netmem/'))) return true;
  }
  return false;
}

/** Everything wrong with what {@link checkApiSite} saw; empty when the site reads as it should. */
export function siteProblems(r: SiteCheck): string[] {
  const out: string[] = [];
  const want: [string, string][] = [
    ['netmem', 'netmem'],
    ['@netmem/core | netmem', 'Module @netmem/core'],
    ['MemoryDomain | netmem', 'Class MemoryDomain'],
  ];
  r.pages.forEach((p, i) => {
    for (const x of p.problems) out.push(`${p.path}: ${x}`);
    if (p.title !== want[i][0]) out.push(`${p.path}: title ${JSON.stringify(p.title)}, expected ${JSON.stringify(want[i][0])}`);
    if (p.heading !== want[i][1]) out.push(`${p.path}: heading ${JSON.stringify(p.heading)}, expected ${JSON.stringify(want[i][1])}`);
    for (const [module, sections] of EXPECTED_SECTIONS) {
      if (!showsSections(p.nav, module, sections))
        out.push(`${p.path}: navigation does not show ${module} › ${sections.join(', ')} (it shows ${p.nav.join(' | ')})`);
    }
  });
  if (!r.eventEmitterHref.startsWith('https://github.com/primus/eventemitter3'))
    out.push(`MemoryDomain: EventEmitter links to ${JSON.stringify(r.eventEmitterHref)}, expected eventemitter3's page`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const shotDir = resolve(process.argv[2] ?? mkdtempSync(join(os.tmpdir(), 'netmem-api-shots-')));
  const r = await checkApiSite(shotDir);
  console.log(`typedoc ${(r.buildMs / 1000).toFixed(1)} s, browser ${(r.browseMs / 1000).toFixed(1)} s`);
  for (const p of r.pages) console.log(`${p.title} — ${p.heading}: ${p.screenshot}`);
  const problems = siteProblems(r);
  for (const p of problems) console.error(`problem: ${p}`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
