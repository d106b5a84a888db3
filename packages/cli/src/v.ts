import { readFileSync } from 'node:fs';
import { validateManifestFiles } from '@slipway/core';
import { formatDiagnostic } from '@slipway/contract';
for (const f of process.argv.slice(2)) {
const r = validateManifestFiles([{ file: f, text: readFileSync(f, 'utf8') }]);
for (const d of [...r.errors, ...r.warnings]) console.log(d.severity, formatDiagnostic(d));
}
