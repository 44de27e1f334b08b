import type { CliIo, CommandGroup } from '../io.js';
import { UsageError } from '../io.js';
import { ack } from './hl7/ack.js';
import { extract } from './hl7/extract.js';
import { get } from './hl7/get.js';
import { inspect } from './hl7/inspect.js';
import { roundtrip } from './hl7/roundtrip.js';

const usage = `Usage: sealpost hl7 <command> …

Commands:
  inspect FILE… [--json]             one line (or JSON object) per message: file, index, MSH-9,
                                     MSH-10, MSH-12, segment names; failures as
                                     FILE: message N, segment M (XXX), field F: reason
  get FILE PATH                      decoded value(s) at PATH (PID-5.1, PID-3[2].1, OBX[3]-5,
                                     OBR-32.1.2) for each message, one per line; a path
                                     without a component reads the first (PID-5 = PID-5.1.1)
  roundtrip FILE…                    exit 0 only when every message serialises back to its exact
                                     bytes; otherwise the first differing byte offset
  extract FILE --out DIR             write each embedded document (OBX-5 ED) to DIR; prints name,
                                     media type and size
  ack FILE [--code AA|AE|AR] [--text "…"] [--cr]
                                     print the acknowledgment of each message (MSA-2 = MSH-10)

Files may hold one message, several, an FHS/BHS batch or MLLP frames.
Exit status: 0 success, 1 a reported failure, 2 wrong usage.
`;

const commands: Record<string, (args: string[], io: CliIo) => Promise<number>> = { inspect, get, roundtrip, extract, ack };

export const hl7Command: CommandGroup = {
  name: 'hl7',
  summary: 'inspect, query, round-trip, extract and acknowledge HL7 v2 messages',
  usage,
  run: async (args, io) => {
    const [name, ...rest] = args;
    const command = name === undefined ? undefined : commands[name];
    if (!command) throw new UsageError(`unknown hl7 command '${name ?? ''}'`);
    if (rest[0] === '--help' || rest[0] === '-h') {
      io.stdout(usage);
      return 0;
    }
    return command(rest, io);
  },
};
