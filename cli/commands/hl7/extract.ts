import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { extractDocuments } from '@sealpost/sdk/hl7v2';
import { SealpostError } from '@sealpost/sdk';
import type { CliIo } from '../../io.js';
import { UsageError } from '../../io.js';
import { failureLine, readMessages } from './shared.js';

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'text/html': 'html',
  'text/rtf': 'rtf',
  'application/rtf': 'rtf',
  'text/plain': 'txt',
  'text/xml': 'xml',
  'application/xml': 'xml',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/tiff': 'tif',
  'image/gif': 'gif',
  'application/dicom': 'dcm',
};

/** A file name that stays inside DIR: no path separators, no leading dots, nothing odd. */
function safeName(name: string): string {
  const cleaned = basename(name.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return cleaned || 'document';
}

/**
 * `sealpost hl7 extract FILE --out DIR`: writes each embedded ED document (OBX-5, base64/hex,
 * split across OBX segments or MIME-wrapped) to DIR and prints `name<TAB>media type<TAB>size`.
 * Names are `<file>-<message>-<n>.<ext>`, or the payload's own file name when it has one (made
 * safe and unique). Exit 1 when a message fails to parse or a payload cannot be decoded.
 */
export async function extract(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { out: { type: 'string', short: 'o' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('extract needs exactly one FILE');
  if (!values.out) throw new UsageError('extract needs --out DIR');
  const file = positionals[0] as string;
  const dir = resolve(io.cwd, values.out);
  const content = await readMessages(file, io);
  let failed = content.problems.length > 0;
  for (const problem of content.problems) io.stderr(failureLine(file, problem));
  const stem = safeName(basename(file, extname(file)));
  const used = new Set<string>();
  let created = false;
  for (const entry of content.messages) {
    if (entry.error) {
      failed = true;
      io.stderr(failureLine(file, entry.error));
      continue;
    }
    let documents;
    try {
      documents = extractDocuments(entry.message);
    } catch (error) {
      if (!(error instanceof SealpostError)) throw error;
      failed = true;
      io.stderr(`${file}: message ${entry.index}: ${error.message}\n`);
      continue;
    }
    for (const [i, document] of documents.entries()) {
      const extension = EXTENSIONS[document.mediaType] ?? 'bin';
      let name = document.filename ? safeName(document.filename) : `${stem}-${entry.index}-${i + 1}.${extension}`;
      for (let n = 2; used.has(name); n++) name = name.replace(/(\.[^.]*)?$/, (ext) => `-${n}${ext}`);
      used.add(name);
      if (!created) {
        await mkdir(dir, { recursive: true });
        created = true;
      }
      await writeFile(join(dir, name), document.bytes);
      io.stdout(`${name}\t${document.mediaType}\t${document.bytes.length}\n`);
    }
  }
  return failed ? 1 : 0;
}
