import { readFileSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import type { RollupOptions } from 'rollup';

interface ExportEntry {
  source?: string;
  types?: string;
  default?: string;
}

/**
 * The SDK's entry points are read from sdk/package.json "exports", so adding a subpath there is
 * the only step needed to build and publish it. Each entry's "source" is bundled to its "default".
 */
function sdkEntries(): Record<string, string> {
  const pkg = JSON.parse(readFileSync('sdk/package.json', 'utf8')) as { exports: Record<string, ExportEntry | string> };
  const input: Record<string, string> = {};
  for (const entry of Object.values(pkg.exports)) {
    if (typeof entry === 'string' || !entry.source || !entry.default) continue;
    const name = entry.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
    input[name] = `sdk/${entry.source.replace(/^\.\//, '')}`;
  }
  return input;
}

const entries = sdkEntries();
// sdk/node/* is Node-only: it is compiled against the root tsconfig (Node types) because
// sdk/tsconfig.json has no Node types and excludes node/. It imports the core by package name.
const isNodeOnly = ([, source]: [string, string]): boolean => source.startsWith('sdk/node/');
const input = Object.fromEntries(Object.entries(entries).filter((entry) => !isNodeOnly(entry)));
const nodeInput = Object.fromEntries(Object.entries(entries).filter(isNodeOnly));
const isExternal = (id: string): boolean => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');

const config: RollupOptions[] = [
  {
    input,
    output: { dir: 'sdk/dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'internal/[name]-[hash].js' },
    external: isExternal,
    plugins: [typescript({ tsconfig: 'sdk/tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true }, include: ['sdk/**/*.ts'] })],
  },
  {
    input,
    output: { dir: 'sdk/dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'internal/[name]-[hash].d.ts' },
    external: isExternal,
    plugins: [dts({ tsconfig: 'sdk/tsconfig.json' })],
  },
  {
    input: nodeInput,
    output: { dir: 'sdk/dist', format: 'es', sourcemap: true, entryFileNames: '[name].js' },
    external: isExternal,
    plugins: [typescript({ tsconfig: 'tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true, customConditions: [] }, include: ['sdk/node/**/*.ts'] })],
  },
  {
    input: nodeInput,
    output: { dir: 'sdk/dist', format: 'es', entryFileNames: '[name].d.ts' },
    external: isExternal,
    plugins: [dts({ tsconfig: 'tsconfig.json' })],
  },
  {
    // The relay is loaded by the CLI's relay commands; built here so the installed CLI runs it
    // under plain Node (its package's "default" export points at this build).
    input: { index: 'relay/index.ts' },
    output: { dir: 'relay/dist', format: 'es', sourcemap: true },
    external: isExternal,
    plugins: [typescript({ tsconfig: 'tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true, customConditions: [] }, include: ['relay/**/*.ts'] })],
  },
  {
    input: { sealpost: 'cli/main.ts' },
    output: { dir: 'cli/dist', format: 'es', sourcemap: true, banner: '#!/usr/bin/env node' },
    // The CLI imports the SDK by its package name, so the installed @sealpost/sdk build is used at run time.
    external: isExternal,
    plugins: [typescript({ tsconfig: 'tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true, customConditions: [] }, include: ['cli/**/*.ts'] })],
  },
];

export default config;
