/**
 * The API reference in a real browser: typedoc builds the site into a
 * temporary folder (any typedoc warning, such as an undocumented export or
 * a broken link, fails the build and so this test), Debian's headless Chromium (playwright-core, as the
 * trace package's HTML test) opens the landing page, @netmem/core's landing
 * page and the MemoryDomain class page. No console error, the right titles
 * and headings, every package's sections in the sidebar, EventEmitter linked
 * to eventemitter3. Screenshots are saved in a temporary folder (printed).
 * scripts/docs-screenshot.ts does the same from the command line.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { checkApiSite, siteProblems } from '../scripts/docs-screenshot.js';

it('the API reference loads cleanly in Chromium with its sections in the navigation', async () => {
  const shots = mkdtempSync(path.join(os.tmpdir(), 'netmem-api-shots-'));
  const r = await checkApiSite(shots);
  console.log(`API site: typedoc ${(r.buildMs / 1000).toFixed(1)} s, browser ${(r.browseMs / 1000).toFixed(1)} s; screenshots in ${shots}`);
  expect(r.pages.map((p) => p.title)).toEqual(['netmem', '@netmem/core | netmem', 'MemoryDomain | netmem']);
  expect(siteProblems(r)).toEqual([]);
}, 120_000);
