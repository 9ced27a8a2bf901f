import { describe, expect, it } from 'vitest';
import { ZW_BAD, ZW_FINALS, ZW_HELD, ZW_KIB, spawnZcrxWorker } from '../src/index.js';
import { HDR, assertZcrx, makeWorld, packet } from './helpers.js';

describe('consumer worker_thread', () => {
  it('reads and checks every buffer from the shared CQ, refills through the shared ring; exit scrubs what it holds', () => {
    const w = makeWorld({ areaPages: 128, rqEntries: 128, checked: false, ring: { entries: 256 } });
    const req = w.ring.recvZc(w.sk, { userData: 1 });
    const worker = spawnZcrxWorker(w.ring, w.ifq, { holdBack: 8, checkPattern: true });
    let pos = 0;
    let drops = 0;
    for (let n = 0; n < 300; n++) {
      while (!w.drv.receive(1, packet(8192, pos), HDR, w.sk)) {
        drops++;
        worker.waitRefill(5);
      }
      pos += 8192;
      while (req.issue() === 'requeue');
      worker.kick();
    }
    while (worker.consumed < w.ifq.stats.zcFrags) worker.waitRefill(5);
    expect(w.ifq.stats.zcFrags).toBe(600);
    expect(w.ifq.stats.rqRecycled).toBeGreaterThan(0);
    const pending = w.ifq.refillPending;
    w.ring.exit();
    expect(worker.stop()).toBe(true);
    const ctl = worker.control;
    expect(ctl[ZW_BAD]).toBe(0);
    expect(ctl[ZW_KIB]).toBe(300 * 8);
    expect(ctl[ZW_HELD]).toBe(8);
    expect(ctl[ZW_FINALS]).toBe(1);
    expect(w.ifq.stats.scrubbed).toBe(8 + pending);
    w.sk.close();
    w.clock.advance(1000);
    expect(w.ifq.freed).toBe(true);
    expect(w.ifq.area.freeCount).toBe(128);
    expect(w.nd.dev!.faultCount).toBe(0);
    expect(drops).toBeGreaterThanOrEqual(0);
    assertZcrx(w.ifq);
  });

  it('waitRefill returns at once for refills published before the call, instead of sleeping until the next publish or the timeout', () => {
    const w = makeWorld({ areaPages: 64, rqEntries: 64, checked: false });
    const req = w.ring.recvZc(w.sk, { userData: 1 });
    const worker = spawnZcrxWorker(w.ring, w.ifq);
    expect(w.drv.receive(1, packet(8192, 0), HDR, w.sk)).toBe(true);
    while (req.issue() === 'requeue');
    worker.kick();
    // The worker publishes by itself; watch for it without waitRefill (a busy wait on its counter).
    const deadline = Date.now() + 20000;
    while (worker.consumed < w.ifq.stats.zcFrags && Date.now() < deadline);
    expect(worker.consumed).toBe(2);
    // Nothing more will be published: only a wait that counts the publish it missed returns early.
    const t0 = Date.now();
    worker.waitRefill(3000);
    expect(Date.now() - t0).toBeLessThan(1500);
    w.ring.exit();
    expect(worker.stop()).toBe(true);
    w.sk.close();
  });
});
