import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchemaOf, jsonSchemaOfAll, manifestKinds, type ManifestKind } from '@slipway/contract';
import { didYouMean } from '@slipway/core';
import { ExitCode, type CommandIO } from '../io.ts';

export interface SchemaOptions {
  kind?: string;
  /** Folder to write one file per kind into, instead of printing. */
  write?: string;
}

/** The JSON Schema files of every kind, by file name, as committed in schema/. */
export function schemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const kind of manifestKinds) files[`${kind.toLowerCase()}.json`] = `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n`;
  files['manifest.json'] = `${JSON.stringify(jsonSchemaOfAll(), null, 2)}\n`;
  return files;
}

/** Prints or writes the JSON Schema of manifests, for editors such as yaml-language-server. */
export async function schema(options: SchemaOptions, io: CommandIO): Promise<number> {
  if (options.kind !== undefined && !(manifestKinds as readonly string[]).includes(options.kind)) {
    io.err(`unknown kind "${options.kind}"${didYouMean(options.kind, manifestKinds)}; kinds: ${manifestKinds.join(', ')}`);
    return ExitCode.usage;
  }
  if (options.write) {
    mkdirSync(options.write, { recursive: true });
    for (const [name, text] of Object.entries(schemaFiles())) writeFileSync(join(options.write, name), text);
    io.out(`wrote ${Object.keys(schemaFiles()).length} schema files to ${options.write}`);
    return ExitCode.ok;
  }
  const kinds = options.kind ? [options.kind as ManifestKind] : manifestKinds;
  const out = options.kind ? jsonSchemaOf(options.kind as ManifestKind) : Object.fromEntries(kinds.map((k) => [k, jsonSchemaOf(k)]));
  io.out(JSON.stringify(out, null, 2));
  return ExitCode.ok;
}
