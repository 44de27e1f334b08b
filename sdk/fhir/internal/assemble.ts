import type { BundleEntry, Reference, Resource } from '@medplum/fhirtypes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Gives each resource of a bundle being built a `urn:uuid:` fullUrl (its id when that is a
 * lower-case UUID, otherwise a new one, which also becomes its id if it had none), and rewrites
 * references between them (`Patient/p1` → `urn:uuid:…`) so they resolve inside the bundle.
 * The caller's objects are never modified: entries hold clones.
 */
export class BundleAssembler {
  readonly #newId: () => string;
  readonly #urls = new Map<Resource, string>();
  readonly #order: Resource[] = [];
  readonly #byTypeId = new Map<string, string>();

  constructor(newId: () => string) {
    this.#newId = newId;
  }

  /** Adds a resource (once) and returns its fullUrl. */
  add(resource: Resource): string {
    const known = this.#urls.get(resource);
    if (known) return known;
    const uuid = resource.id !== undefined && UUID.test(resource.id) ? resource.id : this.#newId();
    const url = `urn:uuid:${uuid}`;
    this.#urls.set(resource, url);
    this.#order.push(resource);
    if (resource.id !== undefined) this.#byTypeId.set(`${resource.resourceType}/${resource.id}`, url);
    return url;
  }

  /** A Reference to a resource added (or now added), with an optional display. */
  ref<T extends Resource>(resource: T, display?: string): Reference<T> {
    const reference: Reference<T> = { reference: this.add(resource) };
    if (display !== undefined) reference.display = display;
    return reference;
  }

  /** The entries, first the resources in `first` order, then the rest in the order added. */
  entries(first: Resource[] = []): BundleEntry[] {
    const order = [...first, ...this.#order.filter((r) => !first.includes(r))];
    for (const r of first) this.add(r);
    return order.map((resource) => {
      const url = this.#urls.get(resource)!;
      const copy = structuredClone(resource) as Resource & { id?: string };
      if (copy.id === undefined) copy.id = url.slice('urn:uuid:'.length);
      this.#rewrite(copy);
      return { fullUrl: url, resource: copy };
    });
  }

  #rewrite(root: unknown): void {
    const stack: unknown[] = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (Array.isArray(node)) stack.push(...(node as unknown[]));
      else if (node !== null && typeof node === 'object') {
        const record = node as Record<string, unknown>;
        const target = typeof record['reference'] === 'string' ? this.#byTypeId.get(record['reference']) : undefined;
        if (target) record['reference'] = target;
        for (const child of Object.values(record)) if (child !== null && typeof child === 'object') stack.push(child);
      }
    }
  }
}
