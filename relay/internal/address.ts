/** Sealpost addresses look like e-mail (design.md §5): `local@domain`, compared in lower case. */
const ADDRESS = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The normalised address, or undefined when `value` is not an address. */
export function normaliseAddress(value: string): string | undefined {
  const lower = value.trim().toLowerCase();
  return lower.length <= 254 && ADDRESS.test(lower) ? lower : undefined;
}

export const ADDRESS_PATTERN = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,189}$";
