/**
 * The shared provider conformance suite run over the pages provider: without
 * DMA (flags 0) and with DMA_MAP | DMA_SYNC_DEV at order 0 and order 1.
 */
import { describe, it } from 'vitest';
import { PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, type PagePoolParams } from '@netmem/core';
import { testProvider } from '@netmem/core/testing';
import { pagesProvider } from '../src/index.js';

const configs: { name: string; params: Partial<PagePoolParams> }[] = [
  { name: 'flags 0, order 0', params: { flags: 0, order: 0 } },
  { name: 'DMA_MAP|DMA_SYNC_DEV, maxLen 4096, order 0', params: { flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096, order: 0 } },
  { name: 'DMA_MAP|DMA_SYNC_DEV, maxLen 4096, order 1', params: { flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, maxLen: 4096, order: 1 } },
];

for (const c of configs) {
  describe(`pagesProvider (${c.name})`, () => {
    testProvider(() => ({ provider: pagesProvider(), params: c.params }), it);
  });
}
