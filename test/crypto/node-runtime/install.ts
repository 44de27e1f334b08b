/**
 * Installs the Node crypto runtime for one test file, before the tests it re-runs are loaded, and
 * checks that the SDK used it and that its fast paths did work: a run that handed everything to
 * WebCrypto would pass without proving anything.
 */
import { afterAll, expect, it } from 'vitest';
import { installNodeCrypto, NodeSubtle } from '@sealpost/sdk/node/crypto';
import { subtle } from '../../../sdk/crypto/internal/subtle.js';

installNodeCrypto();

export function expectNodeRuntime(): void {
  it('runs with the Node crypto runtime installed', () => {
    expect(subtle()).toBeInstanceOf(NodeSubtle);
  });
  afterAll(() => {
    const runtime = subtle();
    expect(runtime).toBeInstanceOf(NodeSubtle);
    expect((runtime as unknown as NodeSubtle).calls.inline).toBeGreaterThan(0);
  });
}
