import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '@netmem/core';
import { IORING_CQE_F_MORE, USER_PAGE_SIZE } from '../src/index.js';
import { HDR, assertZcrx, cqeBytes, giveBack, makeWorld, packet, reap } from './helpers.js';

describe('smoke', () => {
  it("the page size the user side knows is the kernel side's", () => {
    expect(USER_PAGE_SIZE).toBe(PAGE_SIZE);
  });

  it('receives zero-copy and recycles through the refill ring', () => {
    const w = makeWorld();
    const req = w.ring.recvZc(w.sk, { userData: 7 });
    expect(w.drv.receive(1, packet(6000), HDR, w.sk)).toBe(true);
    expect(req.issue()).toBe('retry');
    const c = reap(w);
    expect(c.map((x) => x.res)).toEqual([4096, 1904]);
    expect(c.every((x) => x.flags === IORING_CQE_F_MORE && x.userData === 7)).toBe(true);
    expect(cqeBytes(w, c[0])[0]).toBe(97);
    expect(cqeBytes(w, c[1])[0]).toBe(97 + (4096 % 26));
    assertZcrx(w.ifq);
    giveBack(w, c);
    for (let i = 0; i < 200; i++) {
      expect(w.drv.receive(1, packet(4096), HDR, w.sk)).toBe(true);
      req.issue();
      giveBack(w, reap(w));
      assertZcrx(w.ifq);
    }
    expect(w.ifq.stats.rqRecycled).toBeGreaterThan(0);
    w.sk.close();
    w.ring.exit();
    w.clock.advance(2000);
    expect(w.ifq.freed).toBe(true);
  });
});
