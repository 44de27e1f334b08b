/** Options for {@link allocatePayload}. */
export interface AllocatePayloadOptions {
  /** Bytes kept free before the payload for the CMS structure (recipient infos, about 0.3–0.8 KB each). Default 16 KiB. */
  headroom?: number;
  /** Bytes kept free after it (certificates, signer info, Sealpost header, `padding`, GCM tag). Default 64 KiB. */
  tailroom?: number;
}

/** Slots allocated and not yet sealed. */
const open = new WeakSet<Uint8Array>();
/** Slots a sealEnvelope call is working on: a second, concurrent seal would write into the same room. */
const busy = new WeakSet<Uint8Array>();
/** Slots already sealed: their bytes are now the envelope's ciphertext. */
const sealed = new WeakSet<Uint8Array>();

/**
 * A zero-filled payload buffer of `length` bytes that {@link sealEnvelope} seals in place: write
 * the letter into it (for example read a file straight into it), then pass it as the payload.
 * Sealing then copies nothing itself — the payload is hashed and encrypted where it is and the
 * envelope is built around it in the same buffer — which at 50 MB saves a copy into fresh memory
 * (bench/envelope/README.md, "Sealing in place"). After a successful seal the view holds
 * ciphertext, not the letter (no plaintext copy is left behind), and sealing it again throws a
 * TypeError; a seal that failed leaves it untouched and usable. When the room around it is too
 * small for the message (very many recipients or attachments), `sealEnvelope` copies the payload
 * as it does for any other array, with the same kind of envelope, and the slot keeps the letter. Throws RangeError for a length above
 * 64 MiB or a negative room.
 *
 * @example
 * const payload = allocatePayload(file.size);
 * payload.set(new Uint8Array(await file.arrayBuffer()));   // or read straight into it
 * const { envelope } = await sealEnvelope(payload, { sender: me, recipients: [theirCert] });
 */
export function allocatePayload(length: number, options: AllocatePayloadOptions = {}): Uint8Array {
  const headroom = options.headroom ?? 16 * 1024;
  const tailroom = options.tailroom ?? 64 * 1024;
  for (const [name, value] of [['length', length], ['headroom', headroom], ['tailroom', tailroom]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`allocatePayload: ${name} must be a non-negative integer`);
  }
  // MAX_PAYLOAD_BYTES of seal.ts (not imported: seal.ts imports this module).
  if (length > 64 * 1024 * 1024) throw new RangeError('allocatePayload: at most 64 MiB per envelope');
  const slot = new Uint8Array(new ArrayBuffer(headroom + length + tailroom), headroom, length);
  open.add(slot);
  return slot;
}

/**
 * @internal Claims `payload` for one seal when it is an unsealed slot (true) — release it with
 * {@link releasePayloadSlot}. Throws TypeError when it was sealed already or is being sealed.
 */
export function claimPayloadSlot(payload: Uint8Array): boolean {
  if (sealed.has(payload)) throw new TypeError('sealEnvelope: this payload from allocatePayload was sealed in place already and now holds ciphertext');
  if (busy.has(payload)) throw new TypeError('sealEnvelope: this payload from allocatePayload is being sealed by another call');
  if (!open.has(payload)) return false;
  open.delete(payload);
  busy.add(payload);
  return true;
}

/** @internal Ends a claim: sealed in place, the slot's bytes belong to the envelope; otherwise it can be sealed again. */
export function releasePayloadSlot(payload: Uint8Array, sealedInPlace: boolean): void {
  busy.delete(payload);
  (sealedInPlace ? sealed : open).add(payload);
}
