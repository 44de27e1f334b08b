import { describe, expect, it } from 'vitest';
import { NotSupportedError, SealpostError } from '@sealpost/sdk';

describe('@sealpost/sdk entry', () => {
  it('exports the base error with a stable code', () => {
    const error = new NotSupportedError('no such encoding');
    expect(error).toBeInstanceOf(SealpostError);
    expect(error.code).toBe('ERR_NOT_SUPPORTED');
    expect(error.name).toBe('NotSupportedError');
  });
});
