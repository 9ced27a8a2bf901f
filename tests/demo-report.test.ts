/**
 * The demo report end to end: `npm run demo -- --html --json` into a temp
 * dir, the page opened in Debian's headless Chromium (playwright-core, as
 * packages/trace's HTML test does). The page loads with no console error,
 * page error or network request; every example that ran has its section
 * with a drawn chart; every figure and every chart's last point equals the
 * JSON the same run wrote; a screenshot is saved for a person to look at.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoReport } from '../examples/report/types.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.join(__dirname, '..');
const outDir = mkdtempSync(path.join(os.tmpdir(), 'netmem-demo-report-'));
const htmlFile = path.join(outDir, 'report.html');
const jsonFile = path.join(outDir, 'report.json');
const shotFile = path.join(outDir, 'report.png');
/** The whole demo runs in ~10 s; the bound leaves room for a loaded machine. */
const DEMO_TIMEOUT_MS = 90_000;

let browser: BrowserContext;
let page: Page;
let report: DemoReport;
let stdout = '';
const problems: string[] = [];

/** The value at a dotted path of the report (`examples.0.pools.1.final.stats.alloc.fast`, `…pools.length`). */
function at(obj: unknown, p: string): unknown {
  let cur: unknown = obj;
  for (const k of p.split('.')) cur = (cur as Record<string, unknown>)[k];
  return cur;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  const demo = spawnSync('npm', ['run', 'demo', '--', '--html', htmlFile, '--json', jsonFile], { cwd: ROOT, encoding: 'utf8', timeout: DEMO_TIMEOUT_MS });
  stdout = demo.stdout ?? '';
  if (demo.status !== 0)
    throw new Error(
      `npm run demo exited ${demo.status}${demo.error ? ` (${demo.error.message})` : ''}:\n${stdout.slice(-3000)}\n${(demo.stderr ?? '').slice(-3000)}`,
    );
  report = JSON.parse(readFileSync(jsonFile, 'utf8')) as DemoReport;
  browser = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'netmem-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 1400 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(`file://${htmlFile}`);
  await page.waitForLoadState('load');
}, DEMO_TIMEOUT_MS + 30_000);

afterAll(async () => {
  await browser?.close();
});

describe('npm run demo -- --html --json', () => {
  it('records every example the demo ran, with the result the demo printed', () => {
    const ran = [...stdout.matchAll(/^=== (\S+) ===$/gm)].map((m) => m[1]).filter((n) => n !== 'summary');
    expect(ran.length).toBeGreaterThan(0);
    expect(report.examples.map((e) => e.name)).toEqual(ran);
    for (const e of report.examples) {
      expect(stdout).toContain(`${e.ok ? 'ok  ' : 'FAIL'}  ${e.name.padEnd(16)} ${e.summary}`);
      expect(e.pools.length + e.traces.length, `${e.name}: pools or capture pools recorded`).toBeGreaterThan(0);
      for (const p of e.pools) {
        const n = p.series.t.length;
        expect(n, `${e.name} pool ${p.id}: points within the bound`).toBeLessThanOrEqual(report.limits.pointsPerSeries);
        expect(p.series.values.inflight[n - 1], `${e.name} pool ${p.id}: the series ends at the final figure`).toBe(p.final.inflight);
        expect(p.peakInflight).toBeGreaterThanOrEqual(Math.max(...p.series.values.inflight));
      }
      for (const d of e.devices) expect(d.series.values.live.at(-1), `${e.name} ${d.name}: live mappings`).toBe(d.final.liveMappings);
    }
  });

  it('renders without console errors, page errors or network requests', () => {
    expect(problems).toEqual([]);
  });

  it('gives every example a section with at least one drawn chart', async () => {
    for (const e of report.examples) {
      const sec = page.locator(`section[data-example="${e.name}"]`);
      expect(await sec.count(), e.name).toBe(1);
      const drawn = await sec.locator('svg path').evaluateAll((ps) => ps.filter((p) => ((p.getAttribute('d') ?? '').match(/[ML]/g) ?? []).length >= 2).length);
      expect(drawn, `${e.name}: paths with points`).toBeGreaterThan(0);
      // One in-flight line per pool and per capture pool.
      expect(await sec.locator('svg path[data-json$=".values.inflight"]').count(), e.name).toBe(e.pools.length + e.traces.length);
    }
  });

  it("shows the JSON's numbers: every table figure and every chart's last point", async () => {
    const fields = await page.$$eval('[data-json]:not([data-last])', (els) =>
      els.map((e) => [e.getAttribute('data-json')!, e.textContent!.trim()] as [string, string]),
    );
    for (const [p, text] of fields) {
      const want = at(report, p);
      if (typeof want === 'number') expect(Number(text), `${p}: page shows ${text}, JSON has ${want}`).toBe(want);
      else expect(text, p).toBe(String(want));
    }
    const stats = fields.filter(([p]) => p.includes('.final.stats.')).length;
    const pools = report.examples.reduce((n, e) => n + e.pools.length, 0);
    const first = report.examples.find((e) => e.pools.length > 0)!.pools[0].final.stats;
    expect(stats, 'a stats cell for every counter of every pool').toBe(pools * (Object.keys(first.alloc).length + Object.keys(first.recycle).length));

    const lasts = await page.$$eval('[data-last]', (els) =>
      els.map((e) => ({
        json: e.getAttribute('data-json')!,
        jsonT: e.getAttribute('data-json-t')!,
        last: e.getAttribute('data-last')!,
        lastT: e.getAttribute('data-last-t')!,
        points: e.getAttribute('data-points')!,
      })),
    );
    expect(lasts.length).toBeGreaterThan(0);
    for (const l of lasts) {
      const values = at(report, l.json) as number[];
      const t = at(report, l.jsonT) as number[];
      expect(Number(l.points), l.json).toBe(values.length);
      expect(Number(l.last), l.json).toBe(values[values.length - 1]);
      expect(Number(l.lastT), l.jsonT).toBe(t[t.length - 1]);
    }
    console.log(`demo report: ${fields.length} figures and ${lasts.length} chart series checked against the JSON`);
  });

  it('saves a screenshot', async () => {
    await page.screenshot({ path: shotFile, fullPage: true });
    expect(statSync(shotFile).size).toBeGreaterThan(0);
    console.log(`demo report: ${htmlFile} (${(statSync(htmlFile).size / 1024).toFixed(0)} KiB), screenshot ${shotFile}`);
  });
});
