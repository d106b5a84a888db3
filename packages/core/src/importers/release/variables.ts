import { variablePrefix } from './names.ts';

/** What translating Release's variable names needs to know about the application. */
export interface VariableContext {
  /** Release's variable prefix of each service (FRONTENDTESTS for frontendTests) → its Slipway name. */
  servicePrefixes: Map<string, string>;
  /** Imported applications bring services of their own, whose variables cannot be checked here. */
  hasAppImports: boolean;
}

export function variableContext(services: [release: string, slipway: string][], hasAppImports: boolean): VariableContext {
  return { servicePrefixes: new Map(services.map(([release, slipway]) => [variablePrefix(release), slipway])), hasAppImports };
}

/** The variables Slipway injects into every service and job, besides each service's <SERVICE>_URL and _HOST. */
export const builtinVariables = ['SLIPWAY_ENV_ID', 'SLIPWAY_APP', 'SLIPWAY_BRANCH', 'SLIPWAY_COMMIT_SHA', 'SLIPWAY_COMMIT_SHORT', 'SLIPWAY_DOMAIN'];

/** Variables Release injects that Slipway injects under another name. */
const builtins: Record<string, string> = {
  RELEASE_ENV_ID: 'SLIPWAY_ENV_ID',
  RELEASE_COMMIT_SHA: 'SLIPWAY_COMMIT_SHA',
  RELEASE_COMMIT_SHORT: 'SLIPWAY_COMMIT_SHORT',
  RELEASE_BRANCH: 'SLIPWAY_BRANCH',
  RELEASE_BRANCH_NAME: 'SLIPWAY_BRANCH',
  RELEASE_APP_NAME: 'SLIPWAY_APP',
  RELEASE_DOMAIN: 'SLIPWAY_DOMAIN',
};

/** Release variables with no Slipway counterpart, and what they held. */
const releaseOnly: Record<string, string> = {
  RELEASE_ACCOUNT_ID: 'the Release account id',
  RELEASE_ENV: "the Release environment's handle",
  RELEASE_CONTEXT: 'the Release cluster context',
  RELEASE_RANDOMNESS: 'a random value Release chose per environment',
  RELEASE_BUILD_ID: 'the Release build id',
  RELEASE_CLUSTER_REGION: "the Release cluster's region",
};

export type Translation = { name: string; note?: string } | { unsupported: string };

/** A variable name as Slipway knows it: RELEASE_ENV_ID → SLIPWAY_ENV_ID, WEB_INGRESS_URL → WEB_URL. */
export function translateVariable(name: string, ctx: VariableContext): Translation {
  const builtin = builtins[name];
  if (builtin) return { name: builtin };
  const ingress = /^(.+)_INGRESS_(URL|HOST)$/.exec(name);
  if (ingress) {
    const [, prefix, part] = ingress as unknown as [string, string, string];
    const service = ctx.servicePrefixes.get(prefix);
    if (service) return { name: `${variablePrefix(service)}_${part}` };
    const guess = `${prefix}_${part}`;
    return {
      name: guess,
      note: ctx.hasAppImports
        ? `${name} names no service of this application; it is read as ${guess}, which an imported application's service "${prefix.toLowerCase().replace(/_/g, '-')}" would provide`
        : `${name} names no service of this application; it is read as ${guess}, which stays empty unless set per environment`,
    };
  }
  if (name.startsWith('RELEASE_')) {
    const what = releaseOnly[name];
    return { unsupported: `${name} is set by Release${what ? ` (${what})` : ''} and Slipway has no equivalent` };
  }
  return { name };
}

/** A reference to another variable inside a value: ${NAME}, or $NAME as Release's mapping writes it. */
const referencePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)/g;

export function hasReferences(text: string): boolean {
  // A fresh, non-global copy: test() on the shared global pattern would move its lastIndex, which matchAll copies.
  return new RegExp(referencePattern.source).test(text);
}

export interface ConvertedTemplate {
  /** The Slipway template, with ${NAME} references and "$$" for a literal "$". */
  template: string;
  /** Translated names it reads. */
  reads: string[];
  notes: string[];
  unsupported: string[];
}

/** Rewrites a Release value that reads other variables as a Slipway mapping template. */
export function convertTemplate(text: string, ctx: VariableContext): ConvertedTemplate {
  const out: ConvertedTemplate = { template: '', reads: [], notes: [], unsupported: [] };
  let last = 0;
  for (const match of text.matchAll(referencePattern)) {
    out.template += escapeDollars(text.slice(last, match.index));
    const name = (match[1] ?? match[2])!;
    const translated = translateVariable(name, ctx);
    if ('unsupported' in translated) {
      out.unsupported.push(translated.unsupported);
      out.template += match[0].replace(/\$/g, '$$$$');
    } else {
      if (translated.note) out.notes.push(translated.note);
      out.reads.push(translated.name);
      out.template += `\${${translated.name}}`;
    }
    last = match.index + match[0].length;
  }
  out.template += escapeDollars(text.slice(last));
  return out;
}

function escapeDollars(text: string): string {
  return text.replace(/\$/g, '$$$$');
}
