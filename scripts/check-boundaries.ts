/**
 * The contract is the boundary: code outside core (the provider packages,
 * the examples, the benchmarks) may use only what core publishes. This
 * checker finds the two ways to break that rule:
 *
 * - imports: a specifier that reaches into core other than through its
 *   three entry points (`@netmem/core`, `@netmem/core/provider`,
 *   `@netmem/core/testing`), such as `@netmem/core/src/...` or a relative
 *   path into packages/core;
 * - internals: a property or name whose declaration in core's sources is
 *   tagged `@internal` (metadata tables, a pool's insides), found with the
 *   TypeScript checker, so `domain.table` is caught wherever it hides.
 *
 * Run it with `node --import tsx scripts/check-boundaries.ts`; `npm test`
 * runs it through tests/boundaries.test.ts.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One broken rule. */
export interface Violation {
  /** File, relative to the repository root. */
  file: string;
  /** 1-based line. */
  line: number;
  /** What is wrong. */
  message: string;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const coreDir = join(root, 'packages', 'core');
const coreSrc = join(coreDir, 'src') + sep;

/** The entry points outside code may import core through. */
export const CORE_ENTRIES = ['@netmem/core', '@netmem/core/provider', '@netmem/core/testing'] as const;

/** Folders whose code must stay outside core's boundary. */
export const OUTSIDE = [
  'packages/provider-pages',
  'packages/provider-devmem',
  'packages/provider-iouring',
  'packages/trace',
  'packages/io',
  'examples',
  'bench',
];

/** Every .ts/.mts file under the outside folders (node_modules and dist excluded). */
export function outsideFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of OUTSIDE) walk(join(root, d));
  return out.sort();
}

function rel(file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** Whether an import specifier in `file` stays on the right side of the boundary. */
export function checkSpecifier(file: string, spec: string): string | null {
  if (spec.startsWith('@netmem/core')) {
    return (CORE_ENTRIES as readonly string[]).includes(spec) ? null : `imports ${spec}: core is reached only through ${CORE_ENTRIES.join(', ')}`;
  }
  if (spec.startsWith('.')) {
    const target = resolve(dirname(file), spec);
    if (target === coreDir || target.startsWith(coreDir + sep)) return `imports ${spec}: a relative path into packages/core`;
  }
  return null;
}

/** Import specifiers (static, dynamic, export-from, type imports) that cross the boundary. */
export function checkImports(files: readonly string[], read: (f: string) => string = (f) => ts.sys.readFile(f) ?? ''): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const sf = ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      let spec: ts.Expression | undefined;
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) spec = node.moduleSpecifier;
      else if (
        ts.isCallExpression(node) &&
        (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
      )
        spec = node.arguments[0];
      else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) spec = node.argument.literal as ts.Expression;
      if (spec && ts.isStringLiteralLike(spec)) {
        const msg = checkSpecifier(file, spec.text);
        if (msg) out.push({ file: rel(file), line: sf.getLineAndCharacterOfPosition(spec.getStart()).line + 1, message: msg });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** Whether a declaration in core's sources carries an `@internal` tag. */
function isCoreInternal(decl: ts.Declaration): boolean {
  const file = decl.getSourceFile().fileName;
  if (!resolve(file).startsWith(coreSrc)) return false;
  return ts.getJSDocTags(decl).some((t) => t.tagName.text === 'internal');
}

/**
 * Uses of core declarations tagged `@internal`, found by type-checking the
 * files with the repository's compiler options (sources resolve through
 * the `@netmem/source` condition, so internals are visible to the compiler and
 * therefore to this check).
 */
export function checkInternals(files: readonly string[], host?: ts.CompilerHost): Violation[] {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const options: ts.CompilerOptions = { ...(cfg?.options ?? {}), noEmit: true };
  const program = ts.createProgram({ rootNames: [...files], options, host });
  const checker = program.getTypeChecker();
  const out: Violation[] = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const visit = (node: ts.Node): void => {
      let name: ts.Node | undefined;
      let sym: ts.Symbol | undefined;
      if (ts.isPropertyAccessExpression(node)) {
        name = node.name;
        sym = checker.getSymbolAtLocation(name);
      } else if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
        name = node.argumentExpression;
        sym = checker.getTypeAtLocation(node.expression).getProperty(node.argumentExpression.text);
      } else if (ts.isImportSpecifier(node) || ts.isExportSpecifier(node)) {
        name = node.propertyName ?? node.name;
        sym = checker.getSymbolAtLocation(name);
      } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        // `const { table } = domain`: the property of the destructured value, not the new local.
        name = node.propertyName ?? node.name;
        sym = checker.getTypeAtLocation(node.parent).getProperty(name.getText());
      }
      if (name) {
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        const decl = sym?.declarations?.find(isCoreInternal);
        if (decl) {
          out.push({
            file: rel(file),
            line: sf.getLineAndCharacterOfPosition(name.getStart()).line + 1,
            message: `uses ${name.getText()}, which core marks @internal (${rel(decl.getSourceFile().fileName)})`,
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** Both checks over every outside file. */
export function checkBoundaries(): Violation[] {
  const files = outsideFiles();
  return [...checkImports(files), ...checkInternals(files)];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const v = checkBoundaries();
  for (const x of v) console.log(`${x.file}:${x.line}: ${x.message}`);
  console.log(v.length === 0 ? 'boundaries: ok' : `boundaries: ${v.length} violation(s)`);
  process.exit(v.length === 0 ? 0 : 1);
}
