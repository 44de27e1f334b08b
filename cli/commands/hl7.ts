import type { CommandGroup } from '../io.js';

export const hl7Command: CommandGroup = {
  name: 'hl7',
  summary: 'inspect, query, round-trip, extract and acknowledge HL7 v2 messages',
  usage: 'Usage: sealpost hl7 inspect|get|roundtrip|extract|ack …\n',
  run: async (_args, io) => {
    io.stderr('not implemented yet\n');
    return 1;
  },
};
