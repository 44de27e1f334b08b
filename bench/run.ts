/**
 * Bench dispatcher: `npm run bench -- NAME [options]`. Each bench lives in bench/NAME/main.ts and
 * exports `main(argv): Promise<number>`.
 *
 * On Node 20, @medplum/core 5 needs `--experimental-websocket` (it reads the WebSocket global when
 * it loads), which the npm script cannot assume; when the global is missing, this script re-runs
 * itself with the flag, keeping the loader flags (--import tsx, --conditions).
 */
import { spawnSync } from 'node:child_process';

const BENCHES: Record<string, () => Promise<{ main(argv: readonly string[]): Promise<number> }>> = {
  hl7: () => import('./hl7/main.js'),
  envelope: () => import('./envelope/main.js'),
  relay: () => import('./relay/main.js'),
  fhir: () => import('./fhir/main.js'),
  mllp: () => import('./adapters/mllp.js'),
  import: () => import('./adapters/import.js'),
  directory: () => import('./directory/main.js'),
  federation: () => import('./federation/main.js'),
};

const USAGE = `usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]   (--help after the name for its options)`;

const needsFlags = (): string[] => {
  if (process.env.SEALPOST_BENCH_CHILD === '1') return [];
  const flags: string[] = [];
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') flags.push('--experimental-websocket');
  return flags;
};

async function run(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const load = name === undefined ? undefined : BENCHES[name];
  if (load === undefined) {
    process.stderr.write(`${name === undefined ? 'no bench named' : `unknown bench: ${name}`}\n${USAGE}\n`);
    return 2;
  }
  const flags = needsFlags();
  if (flags.length > 0) {
    const child = spawnSync(process.execPath, [...process.execArgv, ...flags, process.argv[1]!, ...argv], {
      stdio: 'inherit',
      env: { ...process.env, SEALPOST_BENCH_CHILD: '1' },
    });
    if (child.error !== undefined) throw child.error;
    return child.status ?? 1;
  }
  return (await load()).main(rest);
}

process.exitCode = await run(process.argv.slice(2));
