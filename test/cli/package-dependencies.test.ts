/**
 * cli/package.json declares every package the CLI's code loads at run time (static and dynamic
 * imports; type-only imports are erased), so an installed `sealpost` finds them: the relay and
 * the adapters are imported by name (`import('@sealpost/relay')`) and come from the install, not
 * from the workspace.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../cli/', import.meta.url));

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? (['dist', 'node_modules'].includes(entry.name) ? [] : sources(join(dir, entry.name))) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Bare specifiers of run-time imports: `import … from`, `export … from`, `import '…'`, `import('…')`; not `import type` / `export type`. */
function runtimeImports(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s)?[^;]*?\bfrom\s+'([^']+)'|^\s*import\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gms)) {
    if (match[2]) continue;
    const specifier = match[3] ?? match[4] ?? match[5]!;
    if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
    found.push(specifier);
  }
  return found;
}

describe('cli/package.json', () => {
  it('declares every package the CLI imports at run time', () => {
    const pkg = JSON.parse(readFileSync(join(CLI, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const imported = new Set(sources(CLI).flatMap((file) => runtimeImports(readFileSync(file, 'utf8')).map(packageOf)));
    // The scan sees the imports this test is about.
    expect([...imported]).toEqual(expect.arrayContaining(['@sealpost/sdk', '@sealpost/relay', '@sealpost/adapters']));
    expect([...imported].filter((name) => !(name in (pkg.dependencies ?? {}))).sort()).toEqual([]);
  });

  it('pins the workspace packages to their own versions, as it does @sealpost/sdk', () => {
    const pkg = JSON.parse(readFileSync(join(CLI, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const [name, range] of Object.entries(pkg.dependencies).filter(([name]) => name.startsWith('@sealpost/'))) {
      const workspace = JSON.parse(readFileSync(join(CLI, '..', name.slice('@sealpost/'.length), 'package.json'), 'utf8')) as { name: string; version: string };
      expect([name, range]).toEqual([workspace.name, workspace.version]);
    }
  });
});
