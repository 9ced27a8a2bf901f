import { describe, expect, it } from 'vitest';
import { DMA_TRACKING_KINDS } from '../src/index.js';
import { PP_SIGNATURE, createDmaTracker } from './helpers/internal.js';

const IDX_SHIFT = 8;

describe.each(['xarray', 'item-block'] as const)('%s tracker', (kind) => {
  it('tracks into the index bits, keeps the signature, and claims exactly once', () => {
    const magic = new Int32Array(16).fill(PP_SIGNATURE);
    const t = createDmaTracker(kind, magic);
    expect(t.kind).toBe(kind);
    expect(t.track(3)).toBe(true);
    expect(t.track(5)).toBe(true);
    expect(t.tracked).toBe(2);
    expect(magic[3] >>> IDX_SHIFT).toBe(1); // indices start at 1
    expect(magic[5] >>> IDX_SHIFT).toBe(2);
    expect(magic[3] & 0xff).toBe(PP_SIGNATURE);
    expect(t.claim(3)).toBe(true);
    expect(t.claim(3)).toBe(false);
    expect(magic[3]).toBe(PP_SIGNATURE); // index cleared, signature kept
    expect(t.tracked).toBe(1);
    expect(t.claim(7)).toBe(false); // never tracked
    expect(t.tracked).toBe(1);
  });

  it('claimAll unmaps every tracked mapping once; later claims lose', () => {
    const magic = new Int32Array(600);
    const t = createDmaTracker(kind, magic);
    for (let d = 1; d < 600; d++) expect(t.track(d)).toBe(true); // spans 3 item blocks
    expect(t.claim(10)).toBe(true); // one returned before the scrub
    const seen: number[] = [];
    expect(t.claimAll((d) => seen.push(d))).toBe(598);
    expect(seen).toHaveLength(598);
    expect(new Set(seen).size).toBe(598);
    expect(seen).not.toContain(10);
    expect(t.tracked).toBe(0);
    for (let d = 1; d < 600; d++) expect(t.claim(d)).toBe(false);
    expect(t.claimAll(() => seen.push(-1))).toBe(0);
  });

  it('reuses freed indices', () => {
    const magic = new Int32Array(8);
    const t = createDmaTracker(kind, magic);
    t.track(1);
    t.track(2);
    const idx = magic[1] >>> IDX_SHIFT;
    t.claim(1);
    t.track(3);
    expect(magic[3] >>> IDX_SHIFT).toBe(idx);
    expect(t.claim(2)).toBe(true);
    expect(t.claim(3)).toBe(true);
  });

  it('reports its bookkeeping memory', () => {
    const magic = new Int32Array(300);
    const t = createDmaTracker(kind, magic);
    expect(t.memoryBytes()).toBe(0);
    for (let d = 1; d <= 256; d++) t.track(d);
    // item-block: 256 items need two blocks since item 0 is never used.
    if (kind === 'item-block') expect(t.memoryBytes()).toBe(2 * 4096);
    else expect(t.memoryBytes()).toBe(Math.ceil(256 * 8 * (1 + 1 / 64)));
  });
});

describe('none tracker (pre-fix)', () => {
  it('tracks nothing: every claim succeeds and claimAll finds nothing', () => {
    const magic = new Int32Array(8);
    const t = createDmaTracker('none', magic);
    expect(t.track(1)).toBe(true);
    expect(magic[1]).toBe(0);
    expect(t.claim(1)).toBe(true);
    expect(t.claim(1)).toBe(true); // the double unmap the fix prevents
    expect(t.claimAll(() => expect.unreachable())).toBe(0);
    expect(t.memoryBytes()).toBe(0);
  });
});

it('lists the three strategies', () => {
  expect(DMA_TRACKING_KINDS).toEqual(['xarray', 'item-block', 'none']);
});
