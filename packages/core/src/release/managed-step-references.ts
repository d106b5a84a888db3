import type { EnvValue, ReleasePlanAdmissionManifest } from '@slipway/contract';
import { didYouMean } from '../manifest/did-you-mean.ts';
import type { DocumentIssue } from '../manifest/zod-issues.ts';

// What a managed step reads must be something its admission provides, so that a step that would
// fail (or run with an empty value) is refused when the admission is registered rather than when a
// release runs it. A step reads secrets through `{ secret: name }` in its env — only those of
// spec.secrets — and variables through the shell's parameter expansion ($NAME, ${NAME}) of its
// command: its env, the SLIPWAY_* variables every step gets, and what the shell itself sets.
// A command given as an argument list is not expanded (unless it runs `sh -c`), so it reads nothing.

type AdmissionSpec = ReleasePlanAdmissionManifest['spec'];
type StepSpec = AdmissionSpec['workflow']['steps'][number];

/** The variables every managed step is given besides its env (the server sets them; see managed-releases.ts). */
export const managedStepVariables = [
  'SLIPWAY_RELEASE_ID',
  'SLIPWAY_RELEASE_AUTHOR',
  'SLIPWAY_ORIGIN_WORKSPACE',
  'SLIPWAY_TARGET_WORKSPACE',
  'SLIPWAY_RELEASE_DATA',
  'SLIPWAY_SNAPSHOT',
  'PATH',
  'LANG',
  'HOME',
] as const;

/** Variables a POSIX shell (or bash) sets by itself. */
const shellVariables = ['PWD', 'OLDPWD', 'IFS', 'PPID', 'OPTIND', 'OPTARG', 'PS1', 'PS2', 'PS4', 'LINENO', 'RANDOM', 'SECONDS', 'SHLVL', 'UID', 'EUID', 'HOSTNAME', 'REPLY', 'SHELL'];

/** One `$NAME` or `${NAME…}` of a shell script that needs NAME to be set. */
export interface ParameterReference {
  name: string;
  /** Index of the `$` in the script. */
  index: number;
  /** The reference as written: `$NAME`, `${NAME}`, `${NAME:?…` up to the name. */
  text: string;
}

/**
 * The parameters a shell script expands without a fallback (`${NAME:-x}`, `${NAME:+x}`,
 * `${NAME=x}` need nothing), leaving out what single quotes, backslashes and comments make literal,
 * special parameters ($1, $@, $?) and names the script assigns itself (`NAME=…`, `for NAME in`,
 * `read NAME`). A reading, not a shell: enough to tell a variable nobody provides.
 */
export function shellParameterReferences(script: string): ParameterReference[] {
  const references: ParameterReference[] = [];
  // Contexts: the top level or a $( … ) (with its depth of plain parentheses), a "…" string, a `…`.
  const stack: { kind: 'code' | 'double' | 'backtick'; depth: number }[] = [{ kind: 'code', depth: 0 }];
  let wordStart = true;
  for (let i = 0; i < script.length; i++) {
    const context = stack[stack.length - 1]!;
    const ch = script[i]!;
    const code = context.kind !== 'double';
    const startsWord = wordStart;
    wordStart = /[\s;&|()]/.test(ch);
    if (ch === '\\') {
      i++;
      continue;
    }
    if (code && ch === "'") {
      const end = script.indexOf("'", i + 1);
      i = end < 0 ? script.length : end;
      continue;
    }
    if (code && ch === '#' && startsWord) {
      const end = script.indexOf('\n', i);
      i = end < 0 ? script.length : end;
      wordStart = true;
      continue;
    }
    if (ch === '"') {
      if (context.kind === 'double') stack.pop();
      else stack.push({ kind: 'double', depth: 0 });
      continue;
    }
    if (ch === '`') {
      if (context.kind === 'backtick') stack.pop();
      else stack.push({ kind: 'backtick', depth: 0 });
      continue;
    }
    if (context.kind === 'code' && stack.length > 1) {
      if (ch === '(') context.depth++;
      else if (ch === ')') {
        if (context.depth === 0) stack.pop();
        else context.depth--;
      }
    }
    if (ch !== '$') continue;
    const next = script[i + 1];
    if (next === '$') {
      i++;
      continue;
    }
    if (next === '(') {
      stack.push({ kind: 'code', depth: 0 });
      i++;
      wordStart = true;
      continue;
    }
    if (next === '{') {
      const match = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+=?])?/.exec(script.slice(i));
      if (match) {
        const operator = match[2]?.replace(':', '');
        if (operator === undefined || operator === '?') references.push({ name: match[1]!, index: i, text: match[0] });
        // The operator's word is read on: its own references count, and the closing brace is inert.
        i += match[0].length - 1;
      }
      continue;
    }
    const plain = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(script.slice(i));
    if (plain) {
      references.push({ name: plain[1]!, index: i, text: plain[0] });
      i += plain[0].length - 1;
    }
  }
  const assigned = assignedNames(script);
  return references.filter((r) => !assigned.has(r.name));
}

function assignedNames(script: string): Set<string> {
  const names = new Set<string>();
  for (const m of script.matchAll(/(?:^|[\s;&|(`])(?:(?:export|local|readonly)\s+)?([A-Za-z_][A-Za-z0-9_]*)=/g)) names.add(m[1]!);
  for (const m of script.matchAll(/\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s/g)) names.add(m[1]!);
  for (const m of script.matchAll(/\bread\s+((?:-[A-Za-z]+\s+)*)([A-Za-z_][A-Za-z0-9_]*(?:[ \t]+[A-Za-z_][A-Za-z0-9_]*)*)/g)) {
    for (const name of m[2]!.split(/\s+/)) names.add(name);
  }
  for (const m of script.matchAll(/\bgetopts\s+\S+\s+([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return names;
}

/** The shell scripts of a command, with their path below the step: the string, or what follows `sh -c`. */
function scriptsOf(command: StepSpec['command']): { path: (string | number)[]; script: string }[] {
  if (typeof command === 'string') return [{ path: ['command'], script: command }];
  const shell = /(^|\/)(sh|bash|dash|ash|zsh|ksh)$/.test(command[0] ?? '');
  if (!shell) return [];
  const flag = command.findIndex((arg, k) => k > 0 && /^-[a-z]*c[a-z]*$/.test(arg));
  if (flag < 0 || flag + 1 >= command.length) return [];
  return [{ path: ['command', flag + 1], script: command[flag + 1]! }];
}

/** How often `text` occurs in `value` before `index`: the loader finds the same occurrence in the file. */
function occurrenceBefore(value: string, text: string, index: number): number {
  let count = 0;
  for (let at = value.indexOf(text); at >= 0 && at < index; at = value.indexOf(text, at + 1)) count++;
  return count;
}

/**
 * Problems of the admission's workflow: a step whose env names a secret the admission does not list
 * in spec.secrets, or whose command expands a variable nobody provides. Paths are the document's,
 * so the loader locates each at the reference itself. A step with an image may get variables from
 * the image, so there an unknown variable is a warning.
 */
export function managedWorkflowProblems(spec: AdmissionSpec): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const secrets = new Set(spec.secrets);
  spec.workflow.steps.forEach((step, s) => {
    const at = (...rest: (string | number)[]) => ['spec', 'workflow', 'steps', s, ...rest];
    const env = Object.entries(step.env ?? {}) as [string, EnvValue][];
    for (const [name, value] of env) {
      if (typeof value !== 'object' || secrets.has(value.secret)) continue;
      const listed = spec.secrets.length ? `spec.secrets: ${spec.secrets.join(', ')}` : 'spec.secrets lists none';
      issues.push({
        severity: 'error',
        path: at('env', name, 'secret'),
        basis: [['spec', 'secrets']],
        message: `step ${step.name} reads secret "${value.secret}" into ${name}, which this admission does not provide (${listed})${didYouMean(value.secret, spec.secrets)}; list it in spec.secrets or name one listed`,
      });
    }
    const provided = new Set<string>([...env.map(([name]) => name), ...managedStepVariables, ...shellVariables]);
    for (const { path, script } of scriptsOf(step.command)) {
      const reported = new Set<string>();
      for (const ref of shellParameterReferences(script)) {
        if (provided.has(ref.name) || reported.has(ref.name)) continue;
        reported.add(ref.name);
        const hint = didYouMean(ref.name, [...env.map(([name]) => name), ...managedStepVariables]);
        issues.push({
          severity: step.image ? 'warning' : 'error',
          path: at(...path),
          within: { text: ref.text, occurrence: occurrenceBefore(script, ref.text, ref.index) },
          message: step.image
            ? `step ${step.name} reads $${ref.name}, which this admission does not provide${hint}; it is empty unless the image ${step.image} sets it — give it in the step's env`
            : `step ${step.name} reads $${ref.name}, which this admission does not provide${hint}; give it in the step's env (a value, or { secret: name } of spec.secrets), or a fallback (\${${ref.name}:-…})`,
        });
      }
    }
  });
  return issues;
}
