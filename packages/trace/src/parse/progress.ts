/**
 * A one-line progress display on stderr while a large trace is read: bytes
 * (and percent when the size is known), events, and events per second,
 * redrawn at most five times a second. Only on a terminal: when stderr is
 * not a TTY (a pipe, a CI log) nothing is written.
 */
import type { ProgressFn } from './reader.js';

/**
 * A progress display; `done()` clears its line.
 * @category Reading traces
 */
export interface Progress {
  /** Feed this to the reader. */
  readonly update: ProgressFn;
  /** Clears the line. */
  done(): void;
}

/**
 * A progress display for an input of `totalBytes` (0: unknown), or null when stderr is not a TTY.
 * @category Reading traces
 */
export function terminalProgress(totalBytes: number, stream: NodeJS.WriteStream = process.stderr): Progress | null {
  if (!stream.isTTY) return null;
  const t0 = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(bytes, events) {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      const mb = (bytes / 1e6).toFixed(0);
      const pct = totalBytes > 0 ? ` ${((100 * bytes) / totalBytes).toFixed(1)}%` : '';
      const rate = events / Math.max(1e-3, (now - t0) / 1000);
      stream.write(`\r  netmem trace:${pct} ${mb} MB, ${(events / 1e6).toFixed(2)} M events, ${(rate / 1e6).toFixed(2)} M events/s   `);
      shown = true;
    },
    done() {
      if (shown) stream.write(`\r${' '.repeat(78)}\r`);
    },
  };
}
