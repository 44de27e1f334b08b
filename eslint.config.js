// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Packages and paths the SDK core must never reach: it runs in pages and MV3 workers too. */
const sdkForbidden = {
  patterns: [
    { group: ['node:*'], message: 'sdk/ core runs in browsers and MV3 workers: no Node built-ins (Node-only code goes in sdk/node/).' },
    { group: ['**/relay/**', '**/adapters/**', '**/extension/**', '**/cli/**'], message: 'sdk/ must not depend on relay, adapters, extension or cli.' },
  ],
  paths: ['fs', 'path', 'os', 'crypto', 'buffer', 'stream', 'net', 'http', 'https', 'child_process', 'worker_threads', 'zlib', 'util'].map((name) => ({
    name,
    message: 'sdk/ core runs in browsers and MV3 workers: no Node built-ins.',
  })),
};

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['sdk/**/*.ts'],
    ignores: ['sdk/node/**'],
    languageOptions: { globals: { ...globals.es2022 } },
    rules: {
      'no-restricted-imports': ['error', sdkForbidden],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'Use Uint8Array in sdk/.' }, { name: 'process', message: 'Inject configuration through options in sdk/.' }],
    },
  },
  {
    files: ['adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/relay/**', '@sealpost/relay*'], message: 'adapters depend on sdk/, never on relay/.' }] }],
    },
  },
);
