/**
 * What a command may touch besides the file system: its output streams and environment. Tests pass
 * their own to run commands in-process; `main.ts` passes the real process streams.
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** A command group (`sealpost hl7 …`, `sealpost fhir …`). `run` resolves to the process exit code. */
export interface CommandGroup {
  name: string;
  summary: string;
  usage: string;
  run: (args: string[], io: CliIo) => Promise<number>;
}

/** Wrong usage of a command: printed with the group's usage text and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
