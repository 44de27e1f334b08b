import { describe, expect, it } from 'vitest';
import { CASE_NAMES, PDF_SIZE, createCases } from '../../../bench/hl7/cases.js';
import { createPdf } from '../../../bench/hl7/pdf.js';
import { referenceRead, referenceWalk } from '../../../bench/hl7/reference.js';

const latin1 = (bytes: Uint8Array) => Array.from(bytes, (b) => String.fromCharCode(b)).join('');

describe('bench cases', () => {
  const cases = createCases();
  const byName = new Map(cases.map((c) => [c.name, c]));

  it('are deterministic', () => {
    const again = createCases();
    // Compared as booleans: a diff of two 14 MB strings would swamp the report.
    expect(again.map((c, i) => c.text === cases[i]!.text)).toEqual([true, true, true]);
    expect(cases.map((c) => c.name)).toEqual([...CASE_NAMES]);
  });

  it('have the sizes and shapes of issue 2: ~4 KB ORU^R01, ~10 KB with 28 OBX, 10 MiB PDF', () => {
    const typical = byName.get('oru-r01-4kb')!.text;
    const lab = byName.get('lab-28-obx-10kb')!.text;
    expect(typical.length).toBeGreaterThan(3500);
    expect(typical.length).toBeLessThan(4600);
    expect(lab.length).toBeGreaterThan(9000);
    expect(lab.length).toBeLessThan(11000);
    expect(referenceRead(lab).observations).toHaveLength(28);
    for (const c of cases) expect(referenceRead(c.text).messageType).toEqual(['ORU', 'R01', 'ORU_R01']);
  });

  it('carry escapes, repetitions and subcomponents, decoded by the reference', () => {
    const read = referenceRead(byName.get('oru-r01-4kb')!.text);
    expect(read.patientIds).toEqual([['33445566', 'MR'], ['8003608166690503', 'NI'], ['4296011234', 'MC']]);
    expect(read.patientName).toEqual(["O'Brien-Smith", 'Alexandra']);
    const film = read.observations.find((o) => o.code === '18314-5')!;
    expect(film.value[0]![0]).toContain('toxic granulation & left shift (bands ~ 8%).\nPlatelets: normal number | morphology.');
    const lab = referenceRead(byName.get('lab-28-obx-10kb')!.text);
    expect(lab.observations.find((o) => o.code === '751-8')!.flags).toEqual(['H', 'A']);
    expect(lab.observations.at(-1)!.value).toEqual([['112283007', 'Escherichia coli', 'SCT'], ['3092008', 'Staphylococcus aureus', 'SCT']]);
    expect(lab.observations.find((o) => o.code === '10834-0')!.value).toEqual([['31 g/L; A/G 1.3 (ratio ^ 1.1-2.2)']]);
    expect(referenceWalk(byName.get('oru-r01-4kb')!.text)).toEqual({ segments: 16, leaves: 439, chars: 3382 });
  });

  it('embed a structurally valid 10 MiB PDF as Base64 in OBX-5.5 (ED)', () => {
    const read = referenceRead(byName.get('pdf-10mb')!.text);
    const ed = read.observations.find((o) => o.code === 'PDF')!;
    expect(ed.value[0]!.slice(0, 4)).toEqual(['', 'application', 'pdf', 'Base64']);
    // Buffer here only: vitest's deep equality is far too slow for 10 MiB.
    const pdf = Buffer.from(ed.value[0]![4]!, 'base64');
    expect(pdf.length).toBe(PDF_SIZE);
    expect(pdf.equals(createPdf(PDF_SIZE))).toBe(true);
    const head = latin1(pdf.subarray(0, 1024));
    const tail = latin1(pdf.subarray(pdf.length - 512));
    expect(head.startsWith('%PDF-1.4\n')).toBe(true);
    expect(tail.endsWith('%%EOF\n')).toBe(true);
  });
});

describe('createPdf', () => {
  it('writes an xref table whose offsets point at their objects, and a stream of the declared length', () => {
    const pdf = createPdf(64 * 1024, 7);
    expect(pdf.length).toBe(64 * 1024);
    const text = latin1(pdf);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 5)).toBe('xref\n');
    const offsets = [...text.slice(startxref).matchAll(/(\d{10}) 00000 n /g)].map((m) => Number(m[1]));
    expect(offsets).toHaveLength(6);
    offsets.forEach((offset, i) => expect(text.slice(offset, offset + 8)).toBe(`${i + 1} 0 obj\n`));
    const length = Number(/\/Length (\d{10})/.exec(text)![1]);
    const streamStart = text.indexOf('stream\n', offsets[5]) + 'stream\n'.length;
    expect(text.slice(streamStart + length, streamStart + length + 10)).toBe('\nendstream');
    expect(createPdf(64 * 1024, 7)).toEqual(pdf);
    expect(createPdf(64 * 1024, 8)).not.toEqual(pdf);
  });

  it('rejects sizes it cannot honour', () => {
    expect(() => createPdf(100)).toThrow(RangeError);
    expect(() => createPdf(4096.5)).toThrow(RangeError);
  });
});
