import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentConfig, validateAgentConfig } from '../../../adapters/agent/config.js';
import { AgentConfigError } from '../../../adapters/agent/errors.js';
import { runCli } from '../../../cli/run.js';

const example = fileURLToPath(new URL('../../../docs/adapters/agent.example.json', import.meta.url));
const minimal = { identity: { dir: 'id' }, trust: ['ca.pem'], relay: { url: 'http://127.0.0.1:7311' }, state: 'agent.db' };

/** The problems of an invalid configuration, as `path: message` lines. */
function problems(value: unknown): string[] {
  try {
    validateAgentConfig(value, { baseDir: '/etc/sealpost' });
  } catch (error) {
    expect(error).toBeInstanceOf(AgentConfigError);
    expect((error as AgentConfigError).code).toBe('ERR_AGENT_CONFIG');
    return (error as AgentConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('the configuration was accepted');
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('agent configuration', () => {
  it('accepts the documented example, resolving relative paths against the file and applying defaults', () => {
    const config = loadAgentConfig(example);
    const docs = fileURLToPath(new URL('../../../docs/adapters/', import.meta.url));
    expect(config.identity).toEqual({ dir: join(docs, 'identity'), passphraseFile: join(docs, 'secrets/passphrase.txt') });
    expect(config.inbound.map((t) => t.type)).toEqual(['file-drop', 'fhir', 'mllp']);
    expect(config.inbound[0]).toMatchObject({ name: 'SP_{id}.hl7', acks: { pattern: '^ACK_.*\\.hl7$' } });
    expect(config.outbound[0]).toMatchObject({ to: 'referrals@harbour-hospital.example', routes: { 'ACME PATH': 'results@acme-path.example' } });
    expect(config.health).toEqual({ host: '127.0.0.1', port: 7320 });
    expect(config.directory).toEqual({ urls: ['https://relay.harbourside-gp.example/fhir'], requireSignature: true });
    expect(config.recipients['results@acme-path.example']).toBe(join(docs, 'certs/acme-path.pem'));
    expect(validateAgentConfig(minimal, { baseDir: '/etc/sealpost' })).toMatchObject({ state: '/etc/sealpost/agent.db', relay: { pollSeconds: 10 }, batchSize: 20, log: { level: 'info' }, inbound: [], outbound: [] });
  });

  it('names every bad member by its path', () => {
    expect(problems({})).toEqual(['identity: missing', 'trust: missing (PEM files of the trust anchors)', 'relay: missing', 'state: missing']);
    expect(
      problems({
        ...minimal,
        match: { patients: 'p.json' },
        inbound: [{ type: 'file-drop', folder: '/emr/import' }, { type: 'file-drop', name: 'x.hl7' }, { type: 'fax' }, { type: 'mllp', host: 'emr', port: 70000 }],
      }),
    ).toEqual(["inbound[1].folder: missing", "inbound[1].name: must contain '{id}'", "inbound[2].type: must be 'file-drop', 'fhir' or 'mllp'", 'inbound[3].port: must be an integer from 1 to 65535']);
    expect(
      problems({
        ...minimal,
        relay: { url: 'ftp://relay', pollSeconds: 0 },
        health: { host: '0.0.0.0', port: 7320 },
        log: { level: 'loud' },
        colour: 'blue',
        inbound: [{ type: 'fhir', baseUrl: 'https://emr/fhir', auth: { type: 'smart-backend', clientId: 'c' } }, { type: 'fhir', baseUrl: 'emr', auth: { type: 'basic' } }],
        outbound: [{ type: 'file-drop', folder: 'out', to: 'not-an-address', routes: { LAB: 'x' }, messageTypes: ['oru'] }, { folder: 'out2' }],
        recipients: { 'a@b.example': 7 },
        directory: { urls: ['https://relay/fhir', 'relay'], requireSignature: 'no' },
      }),
    ).toEqual([
      'colour: unknown member (known: $comment, identity, trust, relay, state, health, log, match, batchSize, cryptoWorkers, inbound, outbound, recipients, directory)',
      'relay.url: must be an http(s) URL',
      'relay.pollSeconds: must be a number from 0.01 to 3600',
      'health.host: must be a loopback address (127.0.0.1, ::1 or localhost)',
      'log.level: must be one of trace, debug, info, warn, error, fatal, silent',
      'inbound[0].auth.tokenUrl: missing',
      'inbound[0].auth.keyFile: missing',
      'inbound[0].auth.keyId: missing',
      'inbound[1].baseUrl: must be an http(s) URL',
      "inbound[1].auth.type: must be 'bearer' or 'smart-backend'",
      "outbound[0].to: 'not-an-address' is not a Sealpost address (name@domain)",
      "outbound[0].routes.LAB: 'x' is not a Sealpost address (name@domain)",
      'outbound[0].messageTypes: must be a non-empty list of HL7 message codes such as "ORU"',
      'outbound[1].type: missing',
      'recipients.a@b.example: must be a certificate file path',
      'directory.urls[1]: must be an http(s) URL',
      'directory.requireSignature: must be true or false',
    ]);
  });

  it('wants a patient list when no FHIR EMR can be searched, and ordered thresholds', () => {
    expect(problems({ ...minimal, inbound: [{ type: 'file-drop', folder: 'in' }], match: { highThreshold: 0.4, lowThreshold: 0.6 } })).toEqual([
      'match.lowThreshold: must not exceed highThreshold (0.4)',
      'match.patients: missing: without a FHIR inbound adapter to search, the agent needs a patient list (JSON) to match against',
    ]);
  });

  it('sealpost agent --check: exit 0 for the example, 1 with every problem listed for a bad file, 2 without --config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-agent-config-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...minimal, inbound: [{ type: 'fhir', baseUrl: 'https://emr/fhir' }, { type: 'file-drop' }] }));
    writeFileSync(join(dir, 'broken.json'), '{"identity": ');
    const cli = async (args: string[]) => {
      const out = { stdout: '', stderr: '' };
      const code = await runCli(args, { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), env: {}, cwd: dir });
      return { code, ...out };
    };
    const ok = await cli(['agent', '--config', example, '--check']);
    expect(ok).toMatchObject({ code: 0, stdout: `${example}: valid (3 inbound, 1 outbound adapters)\n` });
    const bad = await cli(['agent', '--config', 'bad.json', '--check']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`sealpost agent: ERR_AGENT_CONFIG: ${join(dir, 'bad.json')} is not valid:\n  inbound[1].folder: missing\n`);
    const json = await cli(['agent', '--config', 'bad.json', '--check', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ valid: false, problems: [{ path: 'inbound[1].folder', message: 'missing' }] });
    const broken = await cli(['agent', '--config', 'broken.json', '--check']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^sealpost agent: ERR_AGENT_CONFIG: .*broken\.json is not valid:\n {2}\(root\): not JSON: /);
    expect((await cli(['agent', '--check'])).code).toBe(2);
  });

  it('sealpost agent: a valid configuration whose identity cannot be read fails to start with exit 1, leaving no signal handlers behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealpost-agent-start-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'agent.json'), JSON.stringify({ ...minimal, identity: { dir: 'no-such-identity' }, log: { level: 'silent' } }));
    const listeners = process.listenerCount('SIGTERM');
    let stderr = '';
    const code = await runCli(['agent', '--config', 'agent.json'], { stdout: () => {}, stderr: (t) => void (stderr += t), env: { SEALPOST_PASSPHRASE: 'x' }, cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toBe(`sealpost agent: cannot start: ERR_CRYPTO_KEY_NOT_FOUND: no identity in ${join(dir, 'no-such-identity')} (cert.pem and key.pem expected)\n`);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });
});
