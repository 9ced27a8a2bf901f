/** The shared provider conformance suite over a dmabuf binding's provider (a bare binding on the suite's device). */
import { describe, it } from 'vitest';
import { Dmabuf, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV } from '@netmem/core';
import { testProvider } from '@netmem/core/testing';
import { createBinding } from '../src/index.js';

for (const [pages, seg] of [
  [256, 256],
  [256, 24],
] as const) {
  describe(`dmabuf provider (${pages} pages in segments of ${seg})`, () => {
    testProvider(
      ({ domain, dev }) => {
        const b = createBinding(domain, dev, new Dmabuf({ pages, segmentPages: seg }));
        return {
          provider: b.provider,
          params: { flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096 },
          capacity: pages,
          teardown: () => {
            b.unbind();
            if (!b.isFreed || b.leaked !== 0) throw new Error(`binding ${b.id} not freed cleanly (refs ${b.refs}, leaked ${b.leaked})`);
          },
        };
      },
      it,
      { refusals: [{ name: 'order 1', params: { order: 1 }, code: 'E2BIG' }] },
    );
  });
}
