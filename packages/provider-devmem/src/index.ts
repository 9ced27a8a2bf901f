/**
 * @netmem/provider-devmem: devmem TCP. A dmabuf (device memory, `Dmabuf`
 * from `@netmem/core`) is bound to rx queues through a netdev control
 * socket; the dmabuf memory provider feeds those queues' page pools with
 * its chunks; devmem recvmsg reports payload frags as tokens instead of
 * copying them; DONTNEED and socket close give them back.
 *
 * @packageDocumentation
 */
export { ChunkAllocator } from './chunk-allocator.js';
export { DmabufBinding, createBinding, lookupBinding, listedBindings } from './binding.js';
export type { BindingOptions } from './args.js';
export { dmabufProvider, type DmabufProviderBinding } from './provider.js';
export { NetdevNlSocket, type BindRxRequest, type BindQueue } from './netlink.js';
export { DevmemTokens, DEVMEM_EXTENSION, devmemTokens } from './tokens.js';
export { DevmemCmsgBuffer, MAX_DEVMEM_CMSGS, SCM_DEVMEM_DMABUF, SCM_DEVMEM_LINEAR, type DevmemCmsg } from './cmsg.js';
export { devmemRecvmsg, devmemRecvmsgObjects, type DevmemRecvOptions, type DevmemRecvResult } from './recvmsg.js';
export {
  setsockoptDontneed,
  dontneed,
  SO_DEVMEM_DONTNEED,
  MAX_DONTNEED_TOKENS,
  MAX_DONTNEED_FRAGS,
  DMABUF_TOKEN_SIZE,
  type DmabufToken,
} from './dontneed.js';
export { checkDevmemInvariants, type DevmemCheck, type DevmemCensus } from './check.js';
