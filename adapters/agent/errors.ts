import { SealpostError } from '@sealpost/sdk';

/** One thing wrong in an agent configuration: the member's path (`inbound[1].folder`) and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * The agent configuration is not valid (`ERR_AGENT_CONFIG`). `problems` lists every bad member,
 * not just the first, so one run of `sealpost agent --check` shows them all.
 */
export class AgentConfigError extends SealpostError {
  declare readonly code: 'ERR_AGENT_CONFIG';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[], source = 'agent configuration') {
    super('ERR_AGENT_CONFIG', `${source}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.problems = problems;
  }
}
