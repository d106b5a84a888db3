/**
 * CPU and memory quantities in the forms primitives.ts accepts (cpuQuantity, memoryQuantity), with
 * the near misses people write in Release templates (512MB, 1gb) turned into what they meant.
 */

const cpuPattern = /^\d+(\.\d+)?m?$/;
const memoryPattern = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|K|M|G|T|k)?$/;

export function cpuQuantity(value: unknown): string | number | undefined {
  if (typeof value === 'number') return value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return cpuPattern.test(text) && cpuMillis(text) > 0 ? text : undefined;
}

/** The memory quantity, and whether it had to be rewritten (so the caller can say so). */
export function memoryQuantity(value: unknown): { quantity: string; rewritten: boolean } | undefined {
  if (typeof value === 'number') return value > 0 && Number.isInteger(value) ? { quantity: String(value), rewritten: false } : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (memoryPattern.test(text)) return memoryBytes(text) > 0 ? { quantity: text, rewritten: false } : undefined;
  // 512MB, 1gb, 2 GiB: a unit letter with an optional "i" and "B".
  const loose = /^(\d+(?:\.\d+)?)\s*([kmgt])(i?)b?$/i.exec(text);
  if (!loose) return undefined;
  const quantity = `${loose[1]}${loose[2]!.toUpperCase()}${loose[3] ? 'i' : ''}`;
  return memoryBytes(quantity) > 0 ? { quantity, rewritten: true } : undefined;
}

export function cpuMillis(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity * 1000;
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

const memoryUnits: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

export function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(quantity);
  if (!match) return NaN;
  return Number(match[1]) * (memoryUnits[match[2]!] ?? NaN);
}
