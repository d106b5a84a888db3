const byteUnits: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Converts a size such as 512Mi, 10M or 1048576 to bytes. */
export function parseByteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T|k)?$/.exec(value);
  if (!match) throw new Error(`not a size: ${value}`);
  return Math.round(Number(match[1]) * byteUnits[match[2] ?? '']!);
}
