/**
 * Task names (comm) interned to small integers, so a parsed event carries
 * a number instead of a new string per line.
 *
 * Memory strategy: consecutive lines usually share a task, so the last
 * name's bytes are kept and compared first (no hashing, no allocation);
 * otherwise a hash of the bytes finds candidates whose stored bytes are
 * compared. A string is made once per distinct name.
 */

/**
 * Interns task names given as byte ranges.
 * @category Reading traces
 */
export class CommTable {
  private readonly names: string[] = [];
  private readonly bytes: Uint8Array[] = [];
  private readonly byHash = new Map<number, number[]>();
  private lastId = -1;
  private last: Uint8Array = new Uint8Array(0);

  /** The id of the name in `buf[start, end)`. */
  id(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    const last = this.last;
    if (n === last.length && this.lastId >= 0) {
      let i = 0;
      while (i < n && buf[start + i] === last[i]) i++;
      if (i === n) return this.lastId;
    }
    let h = n;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]) | 0;
    let ids = this.byHash.get(h);
    if (ids !== undefined) {
      for (const id of ids) {
        const b = this.bytes[id];
        if (b.length !== n) continue;
        let i = 0;
        while (i < n && buf[start + i] === b[i]) i++;
        if (i === n) return this.remember(id);
      }
    } else {
      ids = [];
      this.byHash.set(h, ids);
    }
    const id = this.names.length;
    const copy = buf.slice(start, end);
    this.bytes.push(copy);
    this.names.push(new TextDecoder().decode(copy));
    ids.push(id);
    return this.remember(id);
  }

  /** Interns a name given as a string. */
  idOf(name: string): number {
    const b = new TextEncoder().encode(name);
    return this.id(b, 0, b.length);
  }

  /** The name of an id. */
  name(id: number): string {
    return this.names[id] ?? '?';
  }

  /** Distinct names so far. */
  get size(): number {
    return this.names.length;
  }

  private remember(id: number): number {
    this.lastId = id;
    this.last = this.bytes[id];
    return id;
  }
}
