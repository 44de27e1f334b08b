import { describe, expect, it } from 'vitest';
import { validateFhir } from '@sealpost/sdk/fhir';

// An MV3 extension service worker's CSP forbids code generation: `new Function` throws EvalError.
// This file runs in its own module registry, so no validator is compiled yet when it starts.
describe('validateFhir where the runtime forbids code generation', () => {
  it('throws NotSupportedError (ERR_NOT_SUPPORTED) instead of a raw EvalError', () => {
    const original = globalThis.Function;
    const forbidden = function (): never {
      throw new EvalError('Code generation from strings disallowed for this context');
    } as unknown as FunctionConstructor;
    let error: unknown;
    globalThis.Function = forbidden;
    try {
      validateFhir({ resourceType: 'Patient' });
    } catch (e) {
      error = e;
    } finally {
      globalThis.Function = original;
    }
    expect(error).toMatchObject({ name: 'NotSupportedError', code: 'ERR_NOT_SUPPORTED' });
    expect((error as Error).cause).toBeInstanceOf(EvalError);
    // Once code generation is allowed again, validation works.
    expect(validateFhir({ resourceType: 'Patient' }).valid).toBe(true);
  });
});
