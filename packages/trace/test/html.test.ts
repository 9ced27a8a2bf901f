/**
 * The HTML report in a real browser: Debian's headless Chromium driven by
 * playwright-core. The page renders without console errors or network
 * requests, every figure marked with `data-json` equals the JSON report's,
 * and a screenshot is saved for a person to look at.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeTraceFile } from '../src/analyze.js';
import { renderHtml } from '../src/report/html.js';
import type { TraceReport } from '../src/types.js';
import { tracePath } from './helpers/paths.js';

const CHROMIUM = '/usr/bin/chromium';
let browser: BrowserContext;
const outDir = mkdtempSync(path.join(os.tmpdir(), 'netmem-trace-html-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
  // A fresh user-data-dir each run (playwright takes it as the persistent context's directory).
  browser = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'netmem-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1000, height: 1400 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** The value at a dotted path of the report (`pools.0.holds`, `pools.length`). */
function at(obj: unknown, p: string): unknown {
  let cur: unknown = obj;
  for (const k of p.split('.')) cur = (cur as Record<string, unknown>)[k];
  return cur;
}

async function check(name: string, shot: string): Promise<{ fields: number; report: TraceReport }> {
  const report = analyzeTraceFile(tracePath(name));
  const json = JSON.parse(JSON.stringify(report)) as TraceReport;
  const file = path.join(outDir, `${name}.html`);
  writeFileSync(file, renderHtml(report));
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.waitForLoadState('load');
  const fields = await page.$$eval('[data-json]', (els) => els.map((e) => [e.getAttribute('data-json')!, e.textContent!.trim()] as [string, string]));
  for (const [p, text] of fields) {
    const want = at(json, p);
    if (typeof want === 'number') expect(Math.abs(Number(text) - want), `${p}: page shows ${text}, JSON has ${want}`).toBeLessThan(5e-7);
    else expect(text, p).toBe(String(want));
  }
  expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(2 * report.pools.filter((p) => p.timeline.inflightMax.length > 0).length);
  await page.screenshot({ path: path.join(outDir, shot), fullPage: true });
  await page.close();
  expect(problems).toEqual([]);
  return { fields: fields.length, report };
}

describe('netmem trace --html in headless Chromium', () => {
  it("renders the held-at-destroy capture with the JSON's numbers, charts and retry table", async () => {
    const { fields, report } = await check('veth-xdp-held-at-destroy.perf.txt', 'held-at-destroy.png');
    expect(fields).toBeGreaterThan(80);
    expect(report.pools[0].destroy!.attempts).toHaveLength(10);
    console.log(`screenshot: ${path.join(outDir, 'held-at-destroy.png')}`);
  });

  it('renders the two-queue capture (4 pools, one that never allocated)', async () => {
    const { fields } = await check('veth-xdp-2queues-steady.tracefs.txt', '2queues.png');
    expect(fields).toBeGreaterThan(40);
  });
});
