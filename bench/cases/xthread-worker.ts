/** Worker of xthread_return: returns every buffer it is handed, through the pool's return ring. */
import { openPoolWorkerPort } from '@netmem/io/worker';

const port = openPoolWorkerPort({ spin: 2000 });
while (port.take() !== 0) port.put(port.nm);
port.close();
