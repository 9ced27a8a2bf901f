/**
 * The fuzzer's commands. A command is plain data, `{t, a, b, c, bad}`: `t`
 * names the operation, `a`, `b`, `c` are free numbers the operation reads
 * its choices from (which pool, which held buffer, which size, ...; always
 * taken modulo what exists, so any sequence is valid and shrinks well), and
 * `bad` is -1 for a well-formed call or picks one of the operation's
 * malformed variants.
 *
 * Oracles:
 * - a well-formed call either succeeds or throws a NetmemError (never a
 *   TypeError/RangeError/anything else);
 * - a malformed call must throw a NetmemError (a few queries may answer
 *   "none" instead, and raw DMA-API misuse may instead be recorded as an
 *   IOMMU fault), must not hang, and must change nothing observable;
 * - after every command the SPEC §9 checks and the model's bookkeeping hold
 *   (World.checkAll), and at the end the teardown brings the domain back to
 *   empty (World.teardown).
 *
 * The commands live in ./commands/, one file per area; this file is their
 * index: the command table, the step runner, and what the driver and the
 * script import.
 */
import type { World } from './world.js';
import { clockCmd } from './commands/clock.js';
import { dmBind, dmDontneed, dmNl, dmRecv, dmUnbind } from './commands/devmem.js';
import { dma } from './commands/dma.js';
import { describeError } from './commands/harness.js';
import type { Cmd, Kind } from './commands/kinds.js';
import { ndConfig, ndCreate, ndDevRemove, ndReceive, ndUnregister, ndUpDown } from './commands/netdev.js';
import { pageAlloc, pageBytes, pageGet, pagePut } from './commands/pages.js';
import { poolAlloc, poolCreate } from './commands/pool-alloc.js';
import { poolBytes, poolDestroy, poolDevRemove, poolIntrospect, poolNid } from './commands/pool-lifecycle.js';
import { poolBulk, poolPut, poolRef } from './commands/pool-put.js';
import { cloneFree, skClone, skClose, skCreate, skRecv } from './commands/sockets.js';
import { zcExit, zcRecv, zcRefill, zcSetup } from './commands/zcrx.js';
import { FuzzFailure } from './world.js';

export { cov, coverage, setSkips } from './commands/harness.js';
export { KINDS, type Cmd, type Kind } from './commands/kinds.js';

const HANDLERS: Record<Kind, (w: World, c: Cmd) => void> = {
  'pool.create': poolCreate,
  'pool.alloc': poolAlloc,
  'pool.put': poolPut,
  'pool.bulk': poolBulk,
  'pool.ref': poolRef,
  'pool.destroy': poolDestroy,
  'pool.devRemove': poolDevRemove,
  'pool.bytes': poolBytes,
  'pool.nid': poolNid,
  'pool.introspect': poolIntrospect,
  'page.alloc': pageAlloc,
  'page.get': pageGet,
  'page.put': pagePut,
  'page.bytes': pageBytes,
  dma,
  'nd.create': ndCreate,
  'nd.receive': ndReceive,
  'nd.updown': ndUpDown,
  'nd.config': ndConfig,
  'nd.unregister': ndUnregister,
  'nd.devRemove': ndDevRemove,
  'sk.create': skCreate,
  'sk.recv': skRecv,
  'sk.close': skClose,
  'sk.clone': skClone,
  'clone.free': cloneFree,
  'dm.nl': dmNl,
  'dm.bind': dmBind,
  'dm.recv': dmRecv,
  'dm.dontneed': dmDontneed,
  'dm.unbind': dmUnbind,
  'zc.setup': zcSetup,
  'zc.recv': zcRecv,
  'zc.refill': zcRefill,
  'zc.exit': zcExit,
  clock: clockCmd,
};

/** Runs one command and the per-step checks. */
export function step(w: World, c: Cmd): void {
  w.steps++;
  try {
    HANDLERS[c.t](w, c);
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    throw new FuzzFailure(`${c.t}: the harness itself threw ${describeError(e)}`);
  }
  w.checkAll(`after ${c.t}`);
}
