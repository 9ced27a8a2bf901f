/**
 * Fault knobs for scenarios the public API cannot reach by correct use:
 * what a buggy driver or provider does to a pool in the kernel.
 */
import { E } from '../base/validate.js';
import { internals } from '../pool/state.js';
import type { PagePool } from '../pool/types.js';

/**
 * Counts `n` more netmems as released than the pool ever held, as a double
 * release by a buggy driver does (pages_state_release_cnt runs ahead). The
 * pool's next destroy attempt then sees negative inflight: it warns once
 * ("negative inflight packet-pages") and stops retrying, as the kernel does.
 * @category Checks and testing
 */
export function injectExtraRelease(pool: PagePool, n = 1): void {
  E.int(n, 'extra releases', 1, 0x7fffffff);
  const p = internals(pool);
  p.releaseCnt = (p.releaseCnt + n) | 0;
}
