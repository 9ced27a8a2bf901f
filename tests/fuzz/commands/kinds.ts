/** The fuzzer's command shape and the list of command kinds (their order is the weight table's and the seeded runs'). */

/** One command (see the header of tests/fuzz/commands.ts). */
export interface Cmd {
  t: Kind;
  a: number;
  b: number;
  c: number;
  bad: number;
}

export const KINDS = [
  'pool.create',
  'pool.alloc',
  'pool.put',
  'pool.bulk',
  'pool.ref',
  'pool.destroy',
  'pool.devRemove',
  'pool.bytes',
  'pool.nid',
  'pool.introspect',
  'page.alloc',
  'page.get',
  'page.put',
  'page.bytes',
  'dma',
  'nd.create',
  'nd.receive',
  'nd.updown',
  'nd.config',
  'nd.unregister',
  'nd.devRemove',
  'sk.create',
  'sk.recv',
  'sk.close',
  'sk.clone',
  'clone.free',
  'dm.nl',
  'dm.bind',
  'dm.recv',
  'dm.dontneed',
  'dm.unbind',
  'zc.setup',
  'zc.recv',
  'zc.refill',
  'zc.exit',
  'clock',
] as const;
export type Kind = (typeof KINDS)[number];
