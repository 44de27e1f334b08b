import { fileURLToPath } from 'node:url';
import { runCli } from '../../cli/run.js';

export const fixturesDir = fileURLToPath(new URL('../fixtures/hl7v2/', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sealpost ARGS…` in-process with cwd = the HL7 fixtures folder (default) and the given environment, capturing its output. */
export async function sealpost(args: string[], cwd = fixturesDir, env: Record<string, string> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env,
    cwd,
  });
  return { code, stdout, stderr };
}
