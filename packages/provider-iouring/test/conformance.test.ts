import { describe, it } from 'vitest';
import { testProvider } from '@netmem/core/testing';
import { ZcrxIfq } from '../src/index.js';

describe('io_uring zcrx provider', () => {
  testProvider(
    ({ domain, dev }) => {
      const pages = 256;
      const ifq = ZcrxIfq.create({ domain, dev, rqEntries: 64, area: { buffer: new SharedArrayBuffer(pages * 4096), offset: 0, len: pages * 4096 } });
      return { provider: ifq.ops, capacity: pages, teardown: () => ifq.release() };
    },
    it,
    {
      label: 'zcrx conformance',
      refusals: [
        { name: 'order 1', params: { order: 1, maxLen: 8192 }, code: 'EOPNOTSUPP' },
        { name: 'bidirectional DMA', params: { dmaDir: 'bidirectional' }, code: 'EOPNOTSUPP' },
      ],
    },
  );
});
