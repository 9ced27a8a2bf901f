/**
 * The table of live dmabuf bindings of a domain (the kernel's global
 * net_devmem_dmabuf_bindings xarray): ids start at 1 and are handed out
 * cyclically, so an id is not reused at once after an unbind.
 */
import type { MemoryDomain } from '@netmem/core';
import type { DmabufBinding } from './binding.js';

interface Table {
  byId: Map<number, DmabufBinding>;
  next: number;
}

const tables = new WeakMap<MemoryDomain, Table>();

function table(domain: MemoryDomain): Table {
  let t = tables.get(domain);
  if (!t) {
    t = { byId: new Map(), next: 1 };
    tables.set(domain, t);
  }
  return t;
}

/** Lists a binding under a fresh id (≥ 1, cyclic) and returns the id. @internal */
export function listBinding(domain: MemoryDomain, b: DmabufBinding): number {
  const t = table(domain);
  let id = t.next;
  while (t.byId.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
  t.next = id >= 0xffffffff ? 1 : id + 1;
  t.byId.set(id, b);
  return id;
}

/** Unlists a binding (its id no longer resolves). @internal */
export function unlistBinding(domain: MemoryDomain, b: DmabufBinding): void {
  const t = tables.get(domain);
  if (t && t.byId.get(b.id) === b) t.byId.delete(b.id);
}

/** net_devmem_lookup_dmabuf: the listed binding with this id, if any. */
export function lookupBinding(domain: MemoryDomain, id: number): DmabufBinding | undefined {
  return tables.get(domain)?.byId.get(id);
}

/** Every listed binding of the domain, in id order. */
export function listedBindings(domain: MemoryDomain): DmabufBinding[] {
  const t = tables.get(domain);
  return t ? [...t.byId.values()].sort((a, b) => a.id - b.id) : [];
}
