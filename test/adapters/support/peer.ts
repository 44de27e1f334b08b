/**
 * The independent MLLP peer: simple-hl7 (npm, MIT, https://github.com/hitgeek/simple-hl7), a
 * CommonJS HL7 library with its own TCP server and client. Typed here for the parts the tests use.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface PeerMessage {
  header: { getField(n: number): { toString(): string } };
  getSegment(name: string): { getField(n: number): { toString(): string } } | undefined;
  toString(): string;
}
export interface PeerTcpServer {
  start(port: number): void;
  stop(): void;
  server: { address(): { port: number } | null; once(event: 'listening', fn: () => void): void; listening: boolean };
}
export interface PeerTcpClient {
  send(message: string, callback: (error: Error | null, ack?: PeerMessage) => void): void;
  close(): void;
}
export interface PeerApp {
  use(fn: (req: { msg: PeerMessage; raw: string }, res: { ack: { addSegment?: unknown }; end(): void }, next: (error?: unknown) => void) => void): void;
  use(fn: (error: unknown, req: unknown, res: unknown, next: unknown) => void): void;
  start(port: number): PeerTcpServer;
  stop(): void;
}

export const simpleHl7 = require('simple-hl7') as {
  tcp(): PeerApp;
  Server: { createTcpClient(options: { host: string; port: number; keepalive?: boolean }): PeerTcpClient };
  Parser: new (options?: { segmentSeperator: string }) => { parse(text: string): PeerMessage };
};

/** Starts simple-hl7's server on a free port of 127.0.0.1 (it listens on all interfaces: the library takes only a port). */
export async function startPeerServer(onMessage: (msg: PeerMessage) => void): Promise<{ port: number; app: PeerApp; server: PeerTcpServer }> {
  const app = simpleHl7.tcp();
  app.use((req, res) => {
    onMessage(req.msg);
    res.end();
  });
  const server = app.start(0);
  if (!server.server.listening) await new Promise<void>((resolve) => server.server.once('listening', resolve));
  return { port: server.server.address()!.port, app, server };
}
