/**
 * The provider contract is the boundary: providers, examples and benchmarks
 * reach core only through its three entry points and never touch what core
 * marks @internal. The checker (scripts/check-boundaries.ts) must find
 * nothing in the tree, and must catch deliberate violations of each kind.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { checkBoundaries, checkImports, checkInternals, checkSpecifier } from '../scripts/check-boundaries.js';

const root = join(__dirname, '..');

describe('boundaries', () => {
  it('no provider, example or benchmark reaches past core’s entry points or into its internals', () => {
    expect(checkBoundaries()).toEqual([]);
  }, 60_000);

  it('import rules: the three entries pass; src paths, other subpaths and relative paths into core fail', () => {
    const f = join(root, 'packages', 'provider-devmem', 'src', 'x.ts');
    expect(checkSpecifier(f, '@netmem/core')).toBeNull();
    expect(checkSpecifier(f, '@netmem/core/provider')).toBeNull();
    expect(checkSpecifier(f, '@netmem/core/testing')).toBeNull();
    expect(checkSpecifier(f, '@netmem/provider-pages')).toBeNull();
    expect(checkSpecifier(f, './binding.js')).toBeNull();
    expect(checkSpecifier(f, '@netmem/core/src/netmem/domain.js')).toMatch(/core is reached only through/);
    expect(checkSpecifier(f, '@netmem/core/package.json')).toMatch(/core is reached only through/);
    expect(checkSpecifier(f, '../../core/src/pool/state.js')).toMatch(/relative path into packages\/core/);
  });

  it('a deliberate violation of each kind is reported with its file and line', () => {
    const file = join(root, 'packages', 'provider-devmem', 'src', '__deliberate_violation__.ts');
    const text = [
      "import { MemoryDomain } from '@netmem/core';",
      "import { internals } from '../../core/src/pool/state.js';",
      "export type T = import('@netmem/core/src/index.js').PagePool;",
      'export function f(d: MemoryDomain): number {',
      '  const { table } = d;',
      '  return d.table.pp[1] + table.ppRef[1] + d["table"].dma[1];',
      '}',
      'export const g = internals;',
    ].join('\n');

    const imports = checkImports([file], () => text);
    expect(imports.map((v) => v.line)).toEqual([2, 3]);

    // The same file, type-checked as if it were in the package (a virtual file: nothing is written to the tree).
    const cfg = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const host = ts.createCompilerHost(cfg.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const internal = checkInternals([file], host);
    // The destructured `table` (line 5) and the two reads of `d.table` (line 6); `table.ppRef` reads a local.
    expect(internal.filter((v) => /uses "?table"?,/.test(v.message)).map((v) => v.line)).toEqual([5, 6, 6]);
    expect(internal.every((v) => v.file.endsWith('__deliberate_violation__.ts'))).toBe(true);
  }, 60_000);
});
