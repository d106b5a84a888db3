// Rewrites the role table of docs/security.md from packages/contract/src/operation-roles.ts
// (npm run docs:roles); authorization.test.ts fails while the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { withRoleTable } from '../packages/server/src/http/operation-roles.ts';

const file = new URL('../docs/security.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withRoleTable(before);
writeFileSync(file, after);
console.log(before === after ? 'docs/security.md: the role table was up to date' : 'docs/security.md: role table rewritten');
