/**
 * Synthetic national-size directory: organisations in suburbs with endpoints, practitioners with
 * valid HPI-Is, and practitioner roles linking them (most practitioners one role, some two).
 * Deterministic (seeded), so every run measures the same data.
 */
import type { Resource } from '../../relay/directory/index.js';

export const HPII = 'http://ns.electronichealth.net.au/id/hi/hpii/1.0';
export const HPIO = 'http://ns.electronichealth.net.au/id/hi/hpio/1.0';

const GIVEN = 'Aaliyah Aaron Abigail Adam Adrian Aiden Alexander Alice Amelia Amir Andrew Angela Anh Anna Anthony Aria Arjun Ava Benjamin Bella Brandon Brian Caleb Camila Charlotte Chen Chloe Christopher Claire Daniel David Deepa Diego Dylan Elena Eli Elijah Elizabeth Ella Emily Emma Ethan Eva Fatima Finn Freya Gabriel Grace Hannah Harper Harry Hazel Henry Hugo Isaac Isabella Isla Jack Jackson Jacob James Jasmine Jayden Jessica Jin John Joseph Joshua Julia Kai Karen Kate Kevin Layla Leah Leo Liam Lily Lucas Lucy Luke Maria Mason Matilda Matthew Maya Mei Mia Michael Mila Mohammed Nathan Noah Nora Oliver Olivia Oscar Priya Rachel Rahul Riley Ruby Ryan Samuel Sarah Sofia Sophie Thomas Tom Wei William Xavier Yusuf Zara Zoe'.split(' ');
const FAMILY_ROOTS = 'Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen Thomas Walker Harris Lee Ryan Robinson Kelly King Davis Wright Evans Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mitchell Turner Campbell Edwards Scott Young Murphy Allen Singh Chen Wang Li Zhang Liu Tran Pham Le Hoang Kaur Sharma Gupta Kumar Ali Hussain Ahmed Cohen Levi Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Giordano Mancini Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola De Luca Silva Santos Oliveira Souza Pereira Lima Carvalho Ferreira Rodrigues Almeida Costa Gomes Martins Araujo Melo Barbosa Ribeiro Cardoso Rocha Dias Castro Moreira Nunes Mendes Freitas Vieira Monteiro Ramos Pinto Teixeira Correia'.split(' ');
const SYLLABLES = 'ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we wi yo za zi'.split(' ');
const SUFFIX = ['', 'son', 'ton', 'ley', 'wood', 'field', 'berg', 'stein', 'ford', 'well', 'ridge', 'more', 'dale', 'by', 'ham'];
const ORG_WORDS = ['Medical Centre', 'Family Practice', 'Health Clinic', 'Specialist Rooms', 'Cardiology', 'Dermatology', 'Hospital', 'Day Surgery', 'Radiology', 'Pathology', 'Physiotherapy', 'Mental Health Service', 'Paediatrics', 'Women\'s Health'];
const SPECIALTIES = ['394814009', '394579002', '394582007', '394585009', '394586005', '394587001', '394589003', '394591006', '394592004', '394593009', '394594003', '394600005', '394609006', '394610001', '394611002', '394612009'];

/** Mulberry32: tiny, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function withLuhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

export const hpiI = (n: number): string => withLuhn(`800361${String(n).padStart(9, '0')}`);
const hpiO = (n: number): string => withLuhn(`800362${String(n).padStart(9, '0')}`);

export interface GeneratedDirectory {
  suburbs: string[];
  /** Family names used, for queries. */
  families: string[];
  given: string[];
  /** Practitioners' family names with their organisation's suburb, for name + suburb queries. */
  pairs: { family: string; suburb: string }[];
  practitioners: number;
}

/**
 * Generates the directory in batches (`sink` is called with ≤ batch resources, referenced types
 * first), so half a million roles never sit in memory at once.
 */
export async function generateDirectory(options: { roles: number; organisations: number; seed?: number; batch?: number }, sink: (batch: Resource[]) => Promise<void>): Promise<GeneratedDirectory> {
  const random = prng(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const batchSize = options.batch ?? 2000;
  const suburbs = Array.from({ length: 3000 }, () => {
    const name = pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES) + pick(SUFFIX);
    return name[0]!.toUpperCase() + name.slice(1);
  });
  // ~20,000 distinct family names: common roots plus generated ones, Zipf-like use of the roots.
  const families = [...FAMILY_ROOTS, ...Array.from({ length: 20_000 }, () => {
    const name = pick(SYLLABLES) + pick(SYLLABLES) + pick(SYLLABLES) + pick(SUFFIX);
    return name[0]!.toUpperCase() + name.slice(1);
  })];
  const orgSuburb: string[] = [];
  let batch: Resource[] = [];
  const flush = async (force = false): Promise<void> => {
    if (batch.length >= batchSize || (force && batch.length)) {
      await sink(batch);
      batch = [];
    }
  };
  for (let i = 0; i < options.organisations; i++) {
    const suburb = pick(suburbs);
    orgSuburb.push(suburb);
    batch.push({
      resourceType: 'Organization',
      id: `o${i}`,
      identifier: [{ system: HPIO, value: hpiO(i) }],
      name: `${random() < 0.5 ? pick(families) : suburb} ${pick(ORG_WORDS)}`,
      address: [{ line: [`${1 + Math.floor(random() * 400)} ${pick(families)} St`], city: suburb, state: 'NSW', postalCode: String(2000 + Math.floor(random() * 2000)) }],
      endpoint: [{ reference: `Endpoint/e${i}` }],
    });
    batch.push({
      resourceType: 'Endpoint',
      id: `e${i}`,
      status: 'active',
      name: `Inbox o${i}`,
      identifier: [{ system: 'https://sealpost.org/fhir/sid/address', value: `inbox@o${i}.example` }],
      connectionType: { system: 'https://sealpost.org/fhir/CodeSystem/connection-type', code: 'sealpost-relay-v1' },
      payloadType: [{ coding: [{ system: 'https://sealpost.org/fhir/CodeSystem/payload-type', code: 'fhir-document' }] }],
      address: `https://relay.o${i}.example`,
      managingOrganization: { reference: `Organization/o${i}` },
    });
    await flush();
  }
  const practitioners = Math.ceil(options.roles * 0.8);
  const pairs: GeneratedDirectory['pairs'] = [];
  const familyOf: string[] = [];
  for (let i = 0; i < practitioners; i++) {
    // Half the people carry a common root name, so prefixes like "sm" or "ng" hit thousands.
    const family = random() < 0.5 ? FAMILY_ROOTS[Math.floor(random() ** 2 * FAMILY_ROOTS.length)]! : pick(families);
    familyOf.push(family);
    batch.push({ resourceType: 'Practitioner', id: `p${i}`, identifier: [{ system: HPII, value: hpiI(i) }], name: [{ family, given: [pick(GIVEN), ...(random() < 0.3 ? [pick(GIVEN)] : [])], prefix: ['Dr'] }] });
    await flush();
  }
  for (let i = 0; i < options.roles; i++) {
    const practitioner = i < practitioners ? i : Math.floor(random() * practitioners);
    const org = Math.floor(random() * options.organisations);
    if (pairs.length < 5000 && random() < 0.05) pairs.push({ family: familyOf[practitioner]!, suburb: orgSuburb[org]! });
    batch.push({
      resourceType: 'PractitionerRole',
      id: `r${i}`,
      practitioner: { reference: `Practitioner/p${practitioner}` },
      organization: { reference: `Organization/o${org}` },
      specialty: [{ coding: [{ system: 'http://snomed.info/sct', code: pick(SPECIALTIES) }] }],
      endpoint: [{ reference: `Endpoint/e${org}` }],
    });
    await flush();
  }
  await flush(true);
  return { suburbs, families, given: GIVEN, pairs, practitioners };
}
