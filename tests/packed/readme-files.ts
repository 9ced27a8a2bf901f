import { readFileSync } from 'node:fs';

/** The README's `// file: NAME` TypeScript blocks, by name: what a reader copies into a project. */
export function readmeFiles(readme: string): Map<string, string> {
  const md = readFileSync(readme, 'utf8');
  const out = new Map<string, string>();
  for (const m of md.matchAll(/```ts\n\/\/ file: (\S+)\n([\s\S]*?)```/g)) out.set(m[1], m[2]);
  return out;
}
