import type { IngressInput } from './manifest-input.ts';
import { memoryQuantity } from './quantities.ts';
import { describe, mapAt, secondsToDuration, wholeNumber } from './raw-values.ts';
import type { Path, SourceFile } from './source-file.ts';

/**
 * Release's `ingress` settings (nginx ingress annotations in snake_case) that Slipway's router has:
 * body size and timeouts. The rest tune nginx or the cloud load balancer.
 */
export function convertIngress(src: SourceFile, raw: unknown, path: Path): IngressInput | undefined {
  const map = mapAt(src, raw, path, 'ingress');
  if (!map) return undefined;
  const out: IngressInput = {};
  // The router has one upstream timeout where nginx has one for reading and one for sending.
  let timeoutSeconds = 0;
  for (const [key, value] of Object.entries(map)) {
    const at: Path = [...path, key];
    if (key === 'proxy_body_size') {
      // nginx writes 10m for ten megabytes.
      const size = typeof value === 'string' ? memoryQuantity(value.replace(/m$/, 'M').replace(/k$/, 'K').replace(/g$/, 'G')) : memoryQuantity(value);
      if (size) out.maxBodySize = size.quantity;
      else src.warn(at, `${describe(value)} is not a size such as 10m; ignored`);
    } else if (key === 'proxy_read_timeout' || key === 'proxy_send_timeout' || key === 'proxy_connect_timeout') {
      const seconds = wholeNumber(typeof value === 'string' ? value.replace(/s$/, '') : value);
      if (seconds === undefined) src.warn(at, `expected ${key} in seconds, got ${describe(value)}; ignored`);
      else if (key === 'proxy_connect_timeout') out.connectTimeout = secondsToDuration(seconds);
      else if (seconds > timeoutSeconds) {
        timeoutSeconds = seconds;
        out.timeout = secondsToDuration(seconds);
      }
    } else {
      src.warn(at, `ingress setting "${key}" tunes Release's nginx ingress or load balancer; Slipway's router has no equivalent, so it is dropped`);
    }
  }
  return Object.keys(out).length ? out : undefined;
}
