/** Shared helpers of the hostile-input tests (hostile-*.test.ts): a good zcrx registration, the state a refused registration must leave as it was, and the refusal check. */
import { expect } from 'vitest';
import { allPools } from '@netmem/core';
import { checkDomainInvariants, errnoOf } from '@netmem/core/testing';
import { IORING_SETUP_CQE32, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER, IoUring, ZCRX_USER_BASE, type ZcrxIfqReg } from '../src/index.js';
import { PAGES, type makeNet } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

export const code = errnoOf;
export const BASE_FLAGS = IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32;

export function goodReg(ifIdx: number, mem: SharedArrayBuffer, entries = 64, rxq = 1): ZcrxIfqReg {
  return {
    ifIdx,
    ifRxq: rxq,
    rqEntries: entries,
    area: { addr: ZCRX_USER_BASE, len: 16 * 4096, memory: mem },
    region: { size: 64 + 16 * entries },
  };
}

export type Net = ReturnType<typeof makeNet>;

/** What a refused registration must leave as it was. */
export function netState(n: Net, ring: IoUring) {
  const dev = n.nd.dev!;
  return {
    ifqs: ring.ifqs.size,
    pools: allPools(n.domain).length,
    live: dev.liveMappings,
    faults: dev.faultCount,
    mp: n.nd.rxQueues.slice(0, n.nd.realNumRxQueues).map((q) => q.mp),
    invariants: checkDomainInvariants(n.domain),
  };
}

/** A good registration still gets the first net_iov descriptors (nothing leaked). */
export function firstDescriptorsFree(n: Net): void {
  const ok = new IoUring(n.ns, { flags: BASE_FLAGS });
  const ifq = ok.registerZcrxIfq(goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096)));
  expect(ifq.area.nia.baseDesc).toBe(PAGES + 1);
  ok.exit();
  n.clock.advance(1000);
  expect(ifq.freed).toBe(true);
}

/** Registers `edit(reg)` and expects `want`, with nothing changed and the reg untouched. */
export function refused(n: Net, ring: IoUring, edit: (r: ZcrxIfqReg) => void, want: string): void {
  const reg = goodReg(n.nd.ifindex, new SharedArrayBuffer(16 * 4096));
  edit(reg);
  const before = netState(n, ring);
  const entries = reg.rqEntries;
  const token = reg.area?.rqAreaToken;
  expect(
    code(() => ring.registerZcrxIfq(reg)),
    JSON.stringify(reg, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v instanceof SharedArrayBuffer ? 'SAB' : v)),
  ).toBe(want);
  expect(netState(n, ring)).toEqual(before);
  expect(reg.rqEntries).toBe(entries);
  expect(reg.offsets).toBeUndefined();
  expect(reg.area?.rqAreaToken).toBe(token);
}
