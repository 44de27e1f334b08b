import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const sdk = fileURLToPath(new URL('./sdk/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, as the "source" export condition does for tsx.
    alias: [
      { find: /^@sealpost\/sdk$/, replacement: `${sdk}index.ts` },
      { find: /^@sealpost\/sdk\/(.+)$/, replacement: `${sdk}$1/index.ts` },
      { find: /^@sealpost\/relay$/, replacement: fileURLToPath(new URL('./relay/index.ts', import.meta.url)) },
      { find: /^@sealpost\/adapters$/, replacement: fileURLToPath(new URL('./adapters/index.ts', import.meta.url)) },
      { find: /^@sealpost\/adapters\/(.+)$/, replacement: fileURLToPath(new URL('./adapters/', import.meta.url)) + '$1/index.ts' },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
