/**
 * Pointers and page numbers as the kernel prints them: 64-bit pointers are
 * carried as two unsigned 32-bit halves (no BigInt on the event path) and
 * turned back into text only for reports.
 */

/**
 * A pointer's text: `digits` hex digits (the printed width), with `0x` when `prefix`.
 * @category Reading traces
 */
export function pointerText(hi: number, lo: number, digits: number, prefix: boolean): string {
  const full = (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
  const d = Math.max(1, Math.min(16, digits));
  return (prefix ? '0x' : '') + full.slice(16 - d);
}

/**
 * A pfn as the tracepoint prints it (`0x…`).
 * @category Reading traces
 */
export function pfnText(pfn: number): string {
  return `0x${pfn.toString(16)}`;
}

/**
 * Parses a pointer given by a user (`--pool`): hex with or without `0x`,
 * up to 16 digits. Returns [hi, lo], or null when it is not one.
 * @category Reading traces
 */
export function parsePointer(text: string): [number, number] | null {
  let t = text.trim().toLowerCase();
  if (t.startsWith('0x')) t = t.slice(2);
  if (!/^[0-9a-f]{1,16}$/.test(t)) return null;
  t = t.padStart(16, '0');
  return [Number.parseInt(t.slice(0, 8), 16), Number.parseInt(t.slice(8), 16)];
}
