/*
 * The sender's sealed copy of each message, kept next to the identity so `sealpost status` can
 * bind the recipient's receipts to the message (every envelope is also sealed to its sender):
 *
 * - DIR/sending/MESSAGE_ID.p7m — written durably (temporary name, fsync, rename) *before* the
 *   submission, so a crash never loses the copy of a message the relay may have accepted;
 * - DIR/sent/MESSAGE_ID.p7m — the same file, moved there once the relay has durably accepted the
 *   message. Only what the relay accepted is ever under sent/.
 *
 * A submission the relay refused (auth, quota, rejected…) removes the copy: nothing was sent. One
 * whose outcome is unknown (network, 5xx after the client's retries, a crash) leaves it under
 * sending/: the messageId is the relay's idempotency key, so the relay holds the message at most
 * once, and `sealpost status MESSAGE_ID` both tells whether it was accepted and, if so, moves the
 * copy to sent/.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TransportError } from '@sealpost/sdk/transport';
import type { TransportErrorKind } from '@sealpost/sdk/transport';
import { moveDurably, syncFolder, writeDurably } from './write-durably.js';

/** Refusals: the relay did not take the message, so its copy is removed (network, server and digest leave the outcome unknown). */
const REFUSED = new Set<TransportErrorKind>(['auth', 'quota', 'conflict', 'not-found', 'rejected']);

/** Whether a submission's error is the relay refusing the message (nothing was sent), not an unknown outcome. */
export function isRefusal(error: unknown): boolean {
  return error instanceof TransportError && REFUSED.has(error.kind);
}

/** Where the sender's copy of a message the relay accepted is kept: DIR/sent/MESSAGE_ID.p7m. */
export function sentCopyPath(idDir: string, messageId: string): string {
  return join(idDir, 'sent', `${messageId}.p7m`);
}

/** Where the copy waits while its submission is unconfirmed: DIR/sending/MESSAGE_ID.p7m. */
export function sendingCopyPath(idDir: string, messageId: string): string {
  return join(idDir, 'sending', `${messageId}.p7m`);
}

/** Keeps the envelope under DIR/sending/ before it is submitted. */
export async function keepSendingCopy(idDir: string, messageId: string, envelope: Uint8Array): Promise<void> {
  await writeDurably(join(idDir, 'sending'), `${messageId}.p7m`, envelope);
}

/** The relay accepted the message: its copy moves from sending/ to sent/. */
export async function confirmSent(idDir: string, messageId: string): Promise<void> {
  await moveDurably(sendingCopyPath(idDir, messageId), join(idDir, 'sent'), `${messageId}.p7m`);
}

/** The relay refused the message: nothing was sent, so no copy stays. */
export async function dropSendingCopy(idDir: string, messageId: string): Promise<void> {
  await rm(sendingCopyPath(idDir, messageId), { force: true });
  await syncFolder(join(idDir, 'sending'));
}

/** The sender's copy of MESSAGE_ID: sent/ first, else an unconfirmed one under sending/, else undefined. */
export function findSentCopy(idDir: string, messageId: string): { path: string; confirmed: boolean } | undefined {
  const sent = sentCopyPath(idDir, messageId);
  if (existsSync(sent)) return { path: sent, confirmed: true };
  const sending = sendingCopyPath(idDir, messageId);
  if (existsSync(sending)) return { path: sending, confirmed: false };
  return undefined;
}
