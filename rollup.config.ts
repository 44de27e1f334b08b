import { readdirSync, readFileSync } from 'node:fs';
import { basename, sep } from 'node:path';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import type { RollupOptions } from 'rollup';

interface ExportEntry {
  source?: string;
  types?: string;
  default?: string;
}

/**
 * A workspace package's entry points, read from its package.json "exports", so adding a subpath
 * there is the only step needed to build and publish it. Each entry's "source" is bundled to its
 * "default" (./dist/NAME.js → entry NAME).
 */
function packageEntries(dir: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { exports: Record<string, ExportEntry | string> };
  const input: Record<string, string> = {};
  for (const entry of Object.values(pkg.exports)) {
    if (typeof entry === 'string' || !entry.source || !entry.default) continue;
    const name = entry.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
    input[name] = `${dir}/${entry.source.replace(/^\.\//, '')}`;
  }
  return input;
}

/**
 * Worker threads are started from a file beside the code that starts them
 * (`new Worker(new URL('./NAME.js', import.meta.url))`), so every `*-worker.ts` under `dir` is an
 * entry of its own, written to the same folder as the chunks.
 */
function workerEntries(dir: string): Record<string, string> {
  const input: Record<string, string> = {};
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('-worker.ts') || file.split(sep).includes('dist') || file.split(sep).includes('node_modules')) continue;
    input[basename(file, '.ts')] = `${dir}/${file.split(sep).join('/')}`;
  }
  return input;
}

const entries = packageEntries('sdk');
// sdk/node/* is Node-only: it is compiled against the root tsconfig (Node types) because
// sdk/tsconfig.json has no Node types and excludes node/. It imports the core by package name.
const isNodeOnly = ([, source]: [string, string]): boolean => source.startsWith('sdk/node/');
const input = Object.fromEntries(Object.entries(entries).filter((entry) => !isNodeOnly(entry)));
const nodeInput = Object.fromEntries(Object.entries(entries).filter(isNodeOnly));
const adapterEntries = packageEntries('adapters');
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
    // The adapters are loaded by `sealpost agent` and `sealpost review`: built like the relay so
    // the installed CLI runs them under plain Node. Chunks sit beside the entries, not in a
    // subfolder: the crypto worker pool finds its worker file next to its own module.
    input: { ...adapterEntries, ...workerEntries('adapters') },
    output: { dir: 'adapters/dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    external: isExternal,
    plugins: [typescript({ tsconfig: 'tsconfig.json', compilerOptions: { noEmit: false, declaration: false, sourceMap: true, customConditions: [] }, include: ['adapters/**/*.ts'] })],
  },
  {
    input: adapterEntries,
    output: { dir: 'adapters/dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'types/[name]-[hash].d.ts' },
    external: isExternal,
    plugins: [dts({ tsconfig: 'tsconfig.json' })],
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
