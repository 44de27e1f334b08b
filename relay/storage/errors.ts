import { SealpostError } from '@sealpost/sdk';

/**
 * A database failure, wrapped at the storage boundary (better-sqlite3 and pg errors are kept as
 * `cause`). Code `ERR_RELAY_STORE`; the HTTP layer answers 503 and hides the detail.
 */
export class StoreError extends SealpostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_RELAY_STORE', message, options);
  }
}

/** Runs `fn`, wrapping anything it throws in a StoreError naming `what`. */
export async function wrap<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`${what}: ${(error as Error).message}`, { cause: error });
  }
}
