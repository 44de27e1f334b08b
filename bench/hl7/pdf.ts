/**
 * A deterministic, structurally valid PDF of an exact size, standing in for the pathology report
 * a lab embeds in OBX-5 (ED). Real reports of this size are scanned pages: a page whose content
 * draws one large JPEG image. The image bytes here come from a seeded PRNG, so every run and every
 * machine benchmarks the same payload without committing a 10 MB binary.
 */

/** xorshift32: small, fast and good enough to make incompressible filler. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

const latin1 = (text: string): Uint8Array => {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
};

/**
 * Builds a PDF of exactly `size` bytes (at least 2 KiB): catalog, pages, one A4 page with a text
 * line and an image XObject whose stream fills the rest, a correct xref table and trailer.
 */
export function createPdf(size: number, seed = 2026): Uint8Array {
  if (!Number.isInteger(size) || size < 2048) throw new RangeError('size must be an integer of at least 2048 bytes');
  const content = 'BT /F1 12 Tf 56 800 Td (Sealpost benchmark pathology report) Tj ET\nq 483 0 0 683 56 80 cm /Im1 Do Q\n';
  const head = [
    '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n',
    '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n',
    '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n',
    '3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>\nendobj\n',
    `4 0 obj\n<< /Length ${content.length} >>\nstream\n${content}endstream\nendobj\n`,
    '5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n',
  ];
  const offsets: number[] = [];
  let position = 0;
  for (const part of head) {
    if (part.startsWith('%PDF')) {
      position += part.length;
      continue;
    }
    offsets.push(position);
    position += part.length;
  }
  // The image object's header and footer depend on the stream length, whose digit count depends
  // on the total, so solve for the length with a fixed-width (10 digit) /Length.
  const imageHead = (length: number) => `6 0 obj\n<< /Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length ${String(length).padStart(10, '0')} >>\nstream\n`;
  const imageTail = '\nendstream\nendobj\n';
  const xref = (imageOffset: number, xrefOffset: number) => {
    const entries = [...offsets, imageOffset].map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
    return `xref\n0 7\n0000000000 65535 f \n${entries}trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  };
  const imageOffset = position;
  const fixed = imageHead(0).length + imageTail.length;
  // xref length depends only on the digit count of xrefOffset; iterate to a fixed point.
  let streamLength = size - position - fixed - xref(imageOffset, size).length;
  for (let i = 0; i < 4; i++) {
    const xrefOffset = imageOffset + fixed + streamLength;
    streamLength = size - position - fixed - xref(imageOffset, xrefOffset).length;
  }
  const xrefOffset = imageOffset + fixed + streamLength;
  const prefix = latin1(head.join('') + imageHead(streamLength));
  const suffix = latin1(imageTail + xref(imageOffset, xrefOffset));
  const out = new Uint8Array(size);
  out.set(prefix, 0);
  // JPEG markers around seeded filler: SOI ... EOI, like a real DCT stream.
  const random = createRandom(seed);
  let at = prefix.length;
  const end = at + streamLength;
  out[at++] = 0xff;
  out[at++] = 0xd8;
  for (; at + 4 <= end - 2; at += 4) {
    const value = random();
    out[at] = value & 0xff;
    out[at + 1] = (value >>> 8) & 0xff;
    out[at + 2] = (value >>> 16) & 0xff;
    out[at + 3] = value >>> 24;
  }
  for (; at < end - 2; at++) out[at] = random() & 0xff;
  out[at++] = 0xff;
  out[at++] = 0xd9;
  out.set(suffix, at);
  if (at + suffix.length !== size) throw new Error(`internal: PDF size ${at + suffix.length} != ${size}`);
  return out;
}
