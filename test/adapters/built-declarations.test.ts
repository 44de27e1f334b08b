/**
 * The built type declarations of @sealpost/adapters (adapters/dist, `npm test` builds before
 * vitest), as a consumer that emits its own declarations sees them: every type the public
 * signatures use can be named. A type the bundle mentions without exporting (it was once the
 * SQLite handle `Db` of `SqliteInboundStore`'s and `ReviewQueue`'s `{ db }` option) makes such a
 * consumer fail with TS2742/TS4023.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'adapters/dist/index.d.ts');

// Inferred, not annotated, on purpose: the declaration emit must name the adapters' types itself.
const CONSUMER = `import { ReviewQueue, SqliteInboundStore } from '@sealpost/adapters';
import type { Db } from '@sealpost/adapters';

type StoreOptions = NonNullable<ConstructorParameters<typeof SqliteInboundStore>[1]>;
type QueueOptions = NonNullable<ConstructorParameters<typeof ReviewQueue>[1]>;

export const storeOptions = (options: StoreOptions) => ({ ...options, shared: true });
export const queueOptions = (options: QueueOptions) => ({ ...options });
export function handleOf(options: StoreOptions): Db | undefined {
  return options.db;
}
`;

describe('built @sealpost/adapters declarations', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
    // Inside the repository, so that '@sealpost/adapters' resolves through node_modules to the
    // workspace package and its "types" export (adapters/dist), as for an installed package.
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(ROOT, '.tmp', 'adapters-consumer-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a consumer emitting declarations can name every type of the public signatures', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const file = join(dir, 'consumer.ts');
    writeFileSync(file, CONSUMER);
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      declaration: true,
      emitDeclarationOnly: true,
      skipLibCheck: true,
      types: ['node'],
      outDir: join(dir, 'out'),
    });
    const emitted: Record<string, string> = {};
    const result = program.emit(undefined, (name, text) => (emitted[name] = text));
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].map(
      (d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
    expect(diagnostics).toEqual([]);
    const declarations = emitted[join(dir, 'out', 'consumer.d.ts')];
    expect(declarations).toContain('db?: Db;');
    // The bundle's own declarations resolved: the store's type came from adapters/dist, not an error type.
    expect(declarations).not.toContain('any');
  });
});
