// Secret masking: given secret values, every form in which one may show up in output, and one
// masker that replaces each of them with ***. Every output of Slipway goes through it: the drivers'
// job and build output and the files they write, task log tails, deploy logs, API answers, pull
// request comments, error messages.
//
// The forms of a value (each only when it differs from those before):
// - the literal, and the literal trimmed (a secret set from a file often ends with a newline);
// - base64, standard and url-safe alphabets, with and without padding, also cut into lines of 64
//   and 76 characters (PEM, `base64` without -w0);
// - base64 of a text the value sits in: the encoding of a value depends on its offset modulo 3 in
//   the encoded bytes, so for each of the three alignments the characters that depend only on the
//   value's bytes (not on its neighbours') are a form of their own (a fragment), when at least
//   MIN_FRAGMENT_LENGTH characters long;
// - URL-encoded: encodeURIComponent, form style (space as +), URLSearchParams style, lower-case hex;
// - JSON-escaped (JSON.stringify without its quotes), also with non-ASCII as \uXXXX and / as \/;
// - for a multi-line value, each of its lines, trimmed, with all the forms above.
//
// Values (and lines) shorter than MIN_SECRET_LENGTH characters, or without a letter or digit, are
// not masked: masking "1", "on" or "}" would garble every line without hiding anything.
//
// Where secrets overlap in a text, the union of every occurrence is masked, so no part of either is
// left showing. The masker is built once for a set of values (one regular expression over every
// form, longest first) and then used for any number of lines.
import type { SecretValues } from './runtime-driver.ts';

export const MASK = '***';
/** Values and lines shorter than this are not masked. */
export const MIN_SECRET_LENGTH = 4;
/** Base64 fragments (of a value embedded in a longer encoded text) shorter than this are not masked. */
export const MIN_FRAGMENT_LENGTH = 6;

export interface SecretMasker {
  /** Every form masked, longest first; empty when there is nothing to mask. */
  readonly forms: readonly string[];
  /** The text with every occurrence of every form replaced by ***. */
  mask(text: string): string;
}

const encoder = new TextEncoder();

function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const urlSafe = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_');

function base64Forms(value: string): string[] {
  const bytes = encoder.encode(value);
  const full = base64Of(bytes);
  const forms = [full, full.replace(/=+$/, '')];
  for (const width of [64, 76]) {
    if (full.length <= width) continue;
    for (let i = 0; i < full.length; i += width) {
      const line = full.slice(i, i + width);
      if (line.replace(/=+$/, '').length >= MIN_FRAGMENT_LENGTH) forms.push(line);
    }
  }
  // The value at offset k (mod 3) of the encoded bytes: its bits are [8k, 8(k+n)) of the stream,
  // and the characters whose 6 bits all fall inside that range do not depend on the neighbours.
  for (let k = 0; k < 3; k++) {
    const shifted = new Uint8Array(k + bytes.length);
    shifted.set(bytes, k);
    const encoded = base64Of(shifted);
    const fragment = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    if (fragment.length >= MIN_FRAGMENT_LENGTH) forms.push(fragment);
  }
  return forms.flatMap((form) => [form, urlSafe(form)]);
}

function urlForms(value: string): string[] {
  let component: string;
  try {
    component = encodeURIComponent(value);
  } catch {
    return []; // a lone surrogate: no URL has it
  }
  return [
    component,
    component.replace(/%20/g, '+'),
    new URLSearchParams([['', value]]).toString().slice(1),
    component.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
  ];
}

function jsonForms(value: string): string[] {
  const escaped = JSON.stringify(value).slice(1, -1);
  return [escaped, escaped.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), escaped.replace(/\//g, '\\/')];
}

const maskable = (value: string) => value.length >= MIN_SECRET_LENGTH && /[\p{L}\p{N}]/u.test(value);

/** Every form of the values that is masked, longest first (see the top of this file). */
export function secretForms(values: Iterable<string>): string[] {
  const forms = new Set<string>();
  const add = (value: string) => {
    if (!maskable(value)) return;
    for (const form of [value, ...jsonForms(value), ...urlForms(value), ...base64Forms(value)]) if (form.length >= MIN_SECRET_LENGTH) forms.add(form);
  };
  for (const value of values) {
    add(value);
    add(value.trim());
    if (/[\r\n]/.test(value)) for (const line of value.split(/\r?\n|\r/)) add(line.trim());
  }
  return [...forms].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

/**
 * The values to mask for a stored secret: its value, and when it is a JSON object the string value
 * of each key (what a `secret: name/key` reference injects).
 */
export function secretValueParts(value: string): string[] {
  const parts = [value];
  if (!value.trimStart().startsWith('{')) return parts;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const field of Object.values(parsed)) if (typeof field === 'string') parts.push(field);
    }
  } catch {
    // not JSON: the value alone
  }
  return parts;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const nothing: SecretMasker = { forms: [], mask: (text) => text };

/** A masker for secret values (a SecretValues map, or values); build it once and use it for every line. */
export function createSecretMasker(values: SecretValues | Iterable<string> | undefined): SecretMasker {
  if (!values) return nothing;
  const list = isIterable(values) ? [...values] : Object.values(values);
  const forms = secretForms(list);
  if (forms.length === 0) return nothing;
  const alternation = forms.map(escapeRegExp).join('|');
  const any = new RegExp(alternation);
  // At each position, the longest form starting there (alternatives are longest first).
  const starts = new RegExp(`(?=(${alternation}))`, 'g');
  return { forms, mask: (text) => (any.test(text) ? maskMatches(text, starts) : text) };
}

function isIterable(value: object): value is Iterable<string> {
  return typeof (value as Partial<Iterable<string>>)[Symbol.iterator] === 'function';
}

/** Replaces each run of overlapping occurrences with one *** (occurrences side by side each get theirs). */
function maskMatches(text: string, starts: RegExp): string {
  let out = '';
  let from = 0;
  let start = -1;
  let end = -1;
  for (const match of text.matchAll(starts)) {
    const at = match.index;
    const until = at + match[1]!.length;
    if (start >= 0 && at < end) {
      end = Math.max(end, until);
      continue;
    }
    if (start >= 0) {
      out += text.slice(from, start) + MASK;
      from = end;
    }
    start = at;
    end = until;
  }
  if (start < 0) return text;
  return out + text.slice(from, start) + MASK + text.slice(end);
}

/** A copy of a JSON-like value with every string in it masked (object keys included). */
export function maskDeep<T>(value: T, masker: SecretMasker): T {
  if (masker.forms.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return masker.mask(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [masker.mask(k), walk(item)]));
    }
    return v;
  };
  return walk(value) as T;
}
