// Worker bootstrap for a PoolWorker script written in TypeScript (Node 20 does
// not apply `--import tsx` inside worker threads): register tsx here, then
// load the script named in workerData.entry. PoolWorker starts the thread
// with the `@netmem/source` export condition, so workspace packages load from their
// sources too. A JavaScript script is started directly, without this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
