import { SealpostError } from '@sealpost/sdk';

/**
 * The CLI loads `@sealpost/adapters` only for `sealpost agent` and `sealpost review`, so every
 * other command runs without the adapters' dependencies. Under plain Node the package resolves to
 * its build (adapters/dist, `npm run build`); when that is missing — or an export points at the
 * TypeScript sources — the failure becomes ERR_CLI_ADAPTERS_SOURCES with what to run instead of a
 * stack trace. Any other failure (a dependency missing, an error at load) is rethrown as is.
 */
function notLoadable(command: string): (error: unknown) => never {
  return (error: unknown) => {
    const { code, message } = error as { code?: string; message?: string };
    const unbuilt = code === 'ERR_MODULE_NOT_FOUND' && /[/\\]adapters[/\\]dist[/\\]/.test(message ?? '');
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && !unbuilt) throw error;
    throw new SealpostError('ERR_CLI_ADAPTERS_SOURCES', `the adapters are not built (adapters/dist): run \`npm run build\`, or from a checkout \`npm run sealpost -- ${command} …\``, { cause: error });
  };
}

/** `@sealpost/adapters` (review queue, MLLP, file-drop, FHIR, import pipeline); throws ERR_CLI_ADAPTERS_SOURCES when it cannot be loaded. */
export const loadAdapters = (command: string) => import('@sealpost/adapters').catch(notLoadable(command));

/** `@sealpost/adapters/agent` (configuration and the running agent); throws ERR_CLI_ADAPTERS_SOURCES when it cannot be loaded. */
export const loadAgent = (command: string) => import('@sealpost/adapters/agent').catch(notLoadable(command));
