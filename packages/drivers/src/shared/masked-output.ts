// Masked log files for processes that outlive the driver. A process started with secrets writes
// its output through a small filter process instead of straight into its log file; the filter
// replaces every form of every secret (core's createSecretMasker gives the forms) with *** before a
// byte reaches the disk. Both run in the process's group, under a shell that keeps the pipe between
// them, so they survive a killed server just as a process writing its file directly does, and the
// group's leader still exits the way the command did (its exit code, or the signal that killed it).
//
// The filter:
// - gets the forms on descriptor 5, never in its environment or arguments (they are secrets), and
//   runs with an empty environment (no NODE_OPTIONS of the application's);
// - masks line by line (a line longer than 64 KiB is masked and written as it stands), the same rule
//   as core's masker: the union of overlapping occurrences, longest form first;
// - withholds every byte of output when it cannot read its forms (a driver killed while starting
//   it): it fails closed;
// - ignores SIGTERM, SIGINT and SIGHUP so that what the group printed while stopping still reaches
//   the file; it ends when the last writer of its pipe is gone (or with SIGKILL).

/** The filter, run by `node -e`: plain JavaScript, self-contained. */
export const MASK_FILTER_SOURCE = String.raw`'use strict';
const fs = require('fs');
const net = require('net');
const { StringDecoder } = require('string_decoder');
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => {});
const MAX_LINE = 64 * 1024;
const write = (text) => {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try { at += fs.writeSync(1, bytes, at); } catch (error) { if (error.code !== 'EAGAIN') return; }
  }
};
let raw = '';
let started = false;
const start = () => {
  if (started) return;
  started = true;
  let forms;
  try { forms = JSON.parse(raw); } catch { forms = undefined; }
  if (!Array.isArray(forms) || forms.some((f) => typeof f !== 'string' || f === '')) {
    write('[slipway] output withheld: the secret masker got no list of secrets to mask\n');
    process.stdin.on('data', () => {});
    return;
  }
  const alternation = forms.map((f) => f.replace(/[.*+?^${'$'}{}()|[\]\\]/g, '\\$&')).join('|');
  const any = forms.length ? new RegExp(alternation) : undefined;
  const starts = forms.length ? new RegExp('(?=(' + alternation + '))', 'g') : undefined;
  const mask = (text) => {
    if (!any || !any.test(text)) return text;
    let out = '', from = 0, begin = -1, end = -1;
    for (const match of text.matchAll(starts)) {
      const at = match.index, until = at + match[1].length;
      if (begin >= 0 && at < end) { end = Math.max(end, until); continue; }
      if (begin >= 0) { out += text.slice(from, begin) + '***'; from = end; }
      begin = at;
      end = until;
    }
    return begin < 0 ? text : out + text.slice(from, begin) + '***' + text.slice(end);
  };
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const push = (text) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop();
    let chunk = '';
    for (const line of lines) chunk += mask(line) + '\n';
    if (partial.length > MAX_LINE) { chunk += mask(partial); partial = ''; }
    if (chunk) write(chunk);
  };
  process.stdin.on('data', (bytes) => push(decoder.write(bytes)));
  process.stdin.on('end', () => { push(decoder.end()); if (partial) write(mask(partial)); });
};
const formsIn = new net.Socket({ fd: 5, readable: true, writable: false });
formsIn.setEncoding('utf8');
formsIn.on('data', (text) => { raw += text; });
formsIn.on('error', () => {});
formsIn.on('close', start);
`;

/**
 * The shell that runs "$@" with its output (stdout and stderr) through the filter into its own
 * stdout (the log file), waits for both, and exits as the command did. It survives SIGTERM until the
 * command is gone (a stop is graceful as before), then re-raises the signal that ended the command.
 * $SLIPWAY_MASK_NODE is the node binary, $SLIPWAY_MASK_FILTER the filter's source.
 */
const MASKING_SHELL = [
  'trap : TERM',
  'exec 4>&1',
  'c=$( trap : TERM; { { trap : TERM; unset SLIPWAY_MASK_NODE SLIPWAY_MASK_FILTER; "$@" 3>&- 4>&- 5<&-; echo "$?" >&3; } 2>&1 | env -i "$SLIPWAY_MASK_NODE" -e "$SLIPWAY_MASK_FILTER" 3>&- >&4 4>&-; } 3>&1 )',
  'exec 4>&- 5<&-',
  'case "$c" in ""|*[!0-9]*) exit 1;; esac',
  'if [ "$c" -gt 128 ]; then trap - TERM; kill -$((c - 128)) $$ 2>/dev/null; fi',
  'exit "$c"',
].join('\n');

/** The argv and environment that run `command` with its output masked (see above); fd 5 must carry the forms. */
export function maskedCommand(command: string[], env: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  return {
    argv: ['/bin/sh', '-c', MASKING_SHELL, 'slipway-mask', ...command],
    env: { ...env, SLIPWAY_MASK_NODE: process.execPath, SLIPWAY_MASK_FILTER: MASK_FILTER_SOURCE },
  };
}
