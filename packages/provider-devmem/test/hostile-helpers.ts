/** Shared helpers of the hostile-input tests (hostile-*.test.ts): the state a refused call must leave as it was, the invariant checks, a world holding tokens. */
import { expect } from 'vitest';
import type { TcpSocket } from '@netmem/core';
import { checkDomainInvariants } from '@netmem/core/testing';
import { DevmemCmsgBuffer, checkDevmemInvariants, devmemRecvmsg, devmemTokens, listedBindings, type DmabufBinding } from '../src/index.js';
import { receiveN, world, type World } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

/** Everything a refused call must leave as it was. */
export function state(w: World, b: DmabufBinding | null, sockets: readonly TcpSocket[] = []) {
  const dev = w.nd.dev!;
  return {
    inflight: w.drv.pool(0)?.inflight,
    free: b?.chunks.free,
    refs: b?.refs,
    tokens: sockets.map((s) => devmemTokens(s)?.held ?? 0),
    queued: sockets.map((s) => s.peek()?.len ?? 0),
    live: dev.liveMappings,
    faults: dev.faultCount,
    listed: listedBindings(w.domain).map((x) => x.id),
    mp: w.nd.rxQueues.slice(0, w.nd.realNumRxQueues).map((q) => q.mp),
  };
}

export function clean(w: World, b: DmabufBinding | null, sockets: readonly TcpSocket[] = []): void {
  expect(checkDomainInvariants(w.domain)).toEqual([]);
  if (b) expect(checkDevmemInvariants(b, sockets).violations).toEqual([]);
}

/** A bound world with one socket holding `frags` tokens and `queued` more packets in its queue. */
export function holding(frags = 2, queued = 1, checked = true) {
  const w = world({ checked });
  const b = w.bind(64, 64);
  const sk = w.ns.socket();
  expect(receiveN(w, sk, 1, frags)).toBe(1);
  expect(devmemRecvmsg(sk, new Uint8Array(1 << 16), { cmsgs: new DevmemCmsgBuffer(16) })).toBe(frags * 4096);
  expect(receiveN(w, sk, queued)).toBe(queued);
  return { w, b, sk };
}
