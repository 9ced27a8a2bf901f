/**
 * A domain's page frames: one buddy allocator per NUMA node
 * (page-allocator.ts) with fallback to the other nodes, the marks a
 * (compound) page leaves in the metadata table (refcount, order, tail
 * pages), and page-allocation fault injection. Page descriptors are
 * 1..pages (descriptor = pfn + 1); each node owns an equal share of the
 * frames, the last node the rest.
 */
import type { NetmemTable } from './netmem-table.js';
import { PageAllocator } from './page-allocator.js';

/** Frames per node when `pages` are split over `nodes` (the last node also takes the remainder). */
function perNode(pages: number, nodes: number): number {
  return Math.floor(pages / nodes);
}

/** Marks page descriptors `from..to-1` coming into the table with their node (node 0 is the table's zero). */
export function markNodes(t: NetmemTable, from: number, to: number, pages: number, nodes: number): void {
  const per = perNode(pages, nodes);
  for (let n = 1; n < nodes; n++) t.nid.fill(n, Math.max(from, 1 + n * per), Math.min(to, n === nodes - 1 ? 1 + pages : 1 + (n + 1) * per));
}

/** The page frames of one domain. */
export class PageFrames {
  private readonly nodes: PageAllocator[] = [];
  /** Fault injection: every Nth allocation fails (0: never). */
  private failEvery = 0;
  private allocs = 0;

  constructor(
    private readonly table: NetmemTable,
    pages: number,
    nodes: number,
  ) {
    const per = perNode(pages, nodes);
    for (let n = 0; n < nodes; n++) this.nodes.push(new PageAllocator(n * per, n === nodes - 1 ? pages - n * per : per));
  }

  /** NUMA nodes. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Free frames, all nodes. */
  get freeFrames(): number {
    let n = 0;
    for (const a of this.nodes) n += a.freePages;
    return n;
  }

  /** Bytes of the allocators' own arrays. */
  get bytes(): number {
    let n = 0;
    for (const a of this.nodes) n += a.bytes;
    return n;
  }

  /** Every `n`th allocation from now on fails (0: none). */
  failAllocEvery(n: number): void {
    this.failEvery = n;
    this.allocs = 0;
  }

  /**
   * A (compound) page of 2^order frames from node `want`, else from another
   * node: its descriptor, marked with refcount 1, its order and its tail
   * pages; 0 when no node has one (or an injected failure).
   */
  alloc(order: number, want: number): number {
    if (this.failEvery > 0 && ++this.allocs % this.failEvery === 0) return 0;
    let pfn = this.nodes[want].alloc(order);
    for (let n = 0; pfn < 0 && n < this.nodes.length; n++) if (n !== want) pfn = this.nodes[n].alloc(order);
    if (pfn < 0) return 0;
    const t = this.table;
    const d = pfn + 1;
    t.ensure(d + (1 << order) - 1);
    t.pageRef[d] = 1;
    t.order[d] = order;
    for (let i = 1; i < 1 << order; i++) t.tail[d + i] = order;
    return d;
  }

  /** Clears page `d`'s order marks and gives its frames back to its node. */
  release(d: number): void {
    const t = this.table;
    const order = t.order[d];
    for (let i = 1; i < 1 << order; i++) t.tail[d + i] = 0;
    t.order[d] = 0;
    this.nodes[t.nid[d]].release(d - 1, order);
  }

  /** The head descriptor of tail page `d`: compound pages are aligned blocks of their node. */
  headOf(d: number): number {
    const base = this.nodes[this.table.nid[d]].base;
    return 1 + base + ((d - 1 - base) & -(1 << this.table.tail[d]));
  }

  /** The node that owns frame `pfn`. */
  nodeOf(pfn: number): number {
    return this.nodes.findIndex((a) => pfn >= a.base && pfn < a.base + a.count);
  }
}
