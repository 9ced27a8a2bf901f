// Worker bootstrap when running from TypeScript sources (Node 20 does not
// apply `--import tsx` hooks inside worker threads): register tsx here, then
// load the TypeScript worker entry. Built packages start dist/worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
