/** The clock command: advancing the virtual clock (and malformed advances). */
import type { World } from '../world.js';
import { X, good, numVariants, runBad } from './harness.js';
import type { Cmd } from './kinds.js';

// ---- the clock ---------------------------------------------------------------------

export function clockCmd(w: World, c: Cmd): void {
  if (c.bad < 0) {
    const ms = [0, 1, 999, 1000, 1001, 5000, 61000][c.a % 7];
    good(w, `clock.advance(${ms})`, () => w.clock.advance(ms));
    return;
  }
  runBad(w, 'clock', c.bad, [
    ...numVariants('advance', (x) => w.clock.advance(X(x)), ['2^32', 'frac'], undefined, { nan: 'D-clock', inf: 'D-clock' }),
    ['advance.-inf[D-clock]', () => () => w.clock.advance(-Infinity)],
  ]);
}
