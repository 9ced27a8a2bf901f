/**
 * A per-domain table of objects listed under ids (the kernel's global
 * net_devmem_dmabuf_bindings xarray, for dmabuf bindings): ids start at 1
 * and are handed out cyclically, so an id is not reused at once after an
 * unlist. Generic over what it lists, so it depends on nothing else in
 * the package (the binding module owns the one instance).
 */
import type { MemoryDomain } from '@netmem/core';

/** What a {@link DomainIdTable} lists: anything with the id the table gave it. */
export interface Listed {
  /** The id {@link DomainIdTable.list} returned for it. */
  readonly id: number;
}

interface Table<T> {
  byId: Map<number, T>;
  next: number;
}

/** Objects of type `T` listed under cyclic ids ≥ 1, one table per memory domain. */
export class DomainIdTable<T extends Listed> {
  private readonly tables = new WeakMap<MemoryDomain, Table<T>>();

  /** Lists `item` in `domain` under a fresh id (≥ 1, cyclic) and returns the id. */
  list(domain: MemoryDomain, item: T): number {
    let t = this.tables.get(domain);
    if (!t) {
      t = { byId: new Map(), next: 1 };
      this.tables.set(domain, t);
    }
    let id = t.next;
    while (t.byId.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    t.next = id >= 0xffffffff ? 1 : id + 1;
    t.byId.set(id, item);
    return id;
  }

  /** Unlists `item` (its id no longer resolves); nothing when it is not listed. */
  unlist(domain: MemoryDomain, item: T): void {
    const t = this.tables.get(domain);
    if (t && t.byId.get(item.id) === item) t.byId.delete(item.id);
  }

  /** The listed item with this id, if any. */
  lookup(domain: MemoryDomain, id: number): T | undefined {
    return this.tables.get(domain)?.byId.get(id);
  }

  /** Every listed item of `domain`, in id order. */
  all(domain: MemoryDomain): T[] {
    const t = this.tables.get(domain);
    return t ? [...t.byId.values()].sort((a, b) => a.id - b.id) : [];
  }
}
