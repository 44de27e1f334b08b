import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SealpostError } from '@sealpost/sdk';
import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { loadAdapters, loadAgent } from './load-adapters.js';

const USAGE = `Usage:
  sealpost review list [--db AGENT.db | --config AGENT.json] [--state pending|matched|rejected] [--json]
  sealpost review match ID PATIENT_ID --by WHO [--db AGENT.db | --config AGENT.json]
  sealpost review reject ID --by WHO [--reason TEXT] [--db AGENT.db | --config AGENT.json]

The review queue of an agent's import pipeline: letters whose patient was not matched with
confidence wait here. match files the letter under PATIENT_ID at the agent's next run; reject
sends the sender a signed "rejected" receipt with the reason (default "patient not found").
--config takes the state file of a \`sealpost agent\` configuration; --db defaults to
sealpost-data/agent.db. Exit 1 when the item is not pending or there is no state file.
`;

async function run(args: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { db: { type: 'string' }, config: { type: 'string' }, state: { type: 'string' }, json: { type: 'boolean' }, by: { type: 'string' }, reason: { type: 'string' } },
  });
  if (values.db && values.config) throw new UsageError('pass --db or --config, not both');
  let adapters;
  try {
    adapters = await loadAdapters('review');
  } catch (error) {
    if (!(error instanceof SealpostError)) throw error;
    io.stderr(`sealpost review: ${error.code}: ${error.message}\n`);
    return 1;
  }
  const { ReviewQueue, AdapterError } = adapters;
  let db = resolve(io.cwd, values.db ?? 'sealpost-data/agent.db');
  if (values.config) {
    const { loadAgentConfig, AgentConfigError } = await loadAgent('review');
    try {
      db = loadAgentConfig(resolve(io.cwd, values.config)).state;
    } catch (error) {
      if (!(error instanceof AgentConfigError)) throw error;
      io.stderr(`sealpost review: ${error.code}: ${error.message}\n`);
      return 1;
    }
  }
  // Opening would create an empty queue: a wrong path must say so rather than list nothing.
  if (!existsSync(db)) {
    io.stderr(`sealpost review: no agent state file at ${db} (pass --db FILE or --config AGENT.json)\n`);
    return 1;
  }
  const queue = new ReviewQueue(db);
  try {
    if (verb === 'list') {
      const state = (values.state ?? 'pending') as 'pending' | 'matched' | 'rejected';
      if (!['pending', 'matched', 'rejected'].includes(state)) throw new UsageError(`unknown state '${state}'`);
      const items = queue.list(state);
      if (values.json) io.stdout(JSON.stringify(items, null, 2) + '\n');
      else if (items.length === 0) io.stdout(`no ${state} letters\n`);
      else
        for (const i of items) {
          const who = [i.query.family, i.query.given?.join(' '), i.query.birthDate].filter(Boolean).join(', ');
          const best = i.candidates.map((c) => `${c.patientId} (${c.score})`).join(', ') || 'none';
          io.stdout(`${i.id}\t${i.messageId}\t${who}\t${i.reason}\tcandidates: ${best}\n`);
        }
      return 0;
    }
    if (verb !== 'match' && verb !== 'reject') throw new UsageError(`unknown review command '${verb ?? ''}'`);
    const id = Number(positionals[0]);
    if (!Number.isInteger(id)) throw new UsageError('ID must be a number (see `sealpost review list`)');
    if (!values.by) throw new UsageError('--by WHO is required: decisions are recorded with who made them');
    try {
      if (verb === 'match') {
        const patientId = positionals[1];
        if (!patientId) throw new UsageError('PATIENT_ID is required');
        const item = queue.match(id, patientId, values.by);
        io.stdout(`${item.messageId}: matched to ${patientId}; it is filed at the agent's next run\n`);
      } else {
        const item = queue.reject(id, values.by, values.reason ?? 'patient not found');
        io.stdout(`${item.messageId}: rejected (${item.rejectReason}); the sender is told at the agent's next run\n`);
      }
      return 0;
    } catch (error) {
      if (!(error instanceof AdapterError)) throw error;
      io.stderr(`sealpost review: ${error.code}: ${error.message}\n`);
      return 1;
    }
  } finally {
    queue.close();
  }
}

/** `sealpost review list|match|reject`: the agent's patient-match review queue. */
export const reviewCommand: CommandGroup = { name: 'review', summary: 'List, match or reject letters waiting for a patient match', usage: USAGE, run };
