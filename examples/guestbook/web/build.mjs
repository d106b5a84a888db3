// Builds the static site: src/ → dist/ (or --out <folder>). Scripts and style sheets get a content
// hash in their names (app.3f9a1c2b.js), so they can be cached forever while index.html, which names
// them, is revalidated; build-info.json records the commit ($SLIPWAY_COMMIT_SHORT) and the files.
//
//   node build.mjs [--out <folder>]
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = path.join(here, 'src');
const FINGERPRINTED = new Set(['.js', '.css']);

async function exists(file) {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Empties the output folder, but only one that is empty or that this script wrote before. */
async function prepareOutput(outDir) {
  const entries = await readdir(outDir).catch((error) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
  if (entries.length > 0 && !(await exists(path.join(outDir, 'build-info.json')))) {
    throw new Error(`${outDir} holds files this build did not write (no build-info.json); choose an empty folder with --out`);
  }
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
}

function fingerprint(name, content) {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 8);
  const ext = path.extname(name);
  return `${name.slice(0, -ext.length)}.${hash}${ext}`;
}

async function build(outDir) {
  await prepareOutput(outDir);
  const names = (await readdir(sourceDir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  const files = {};
  for (const name of names) {
    if (name === 'index.html') continue;
    const content = await readFile(path.join(sourceDir, name));
    const outName = FINGERPRINTED.has(path.extname(name)) ? fingerprint(name, content) : name;
    await writeFile(path.join(outDir, outName), content);
    files[name] = outName;
  }

  let html = await readFile(path.join(sourceDir, 'index.html'), 'utf8');
  for (const [name, outName] of Object.entries(files)) {
    if (name === outName) continue;
    const reference = new RegExp(`(\\s(?:src|href)=")${name.replace(/\./g, '\\.')}(")`, 'g');
    if (!reference.test(html)) throw new Error(`index.html does not reference ${name}; link it or remove it from src/`);
    html = html.replace(reference, `$1${outName}$2`);
  }
  await writeFile(path.join(outDir, 'index.html'), html);
  files['index.html'] = 'index.html';

  const info = {
    app: 'guestbook-web',
    commit: process.env.SLIPWAY_COMMIT_SHORT || null,
    builtAt: new Date().toISOString(),
    files,
  };
  await writeFile(path.join(outDir, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

try {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const outDir = values.out ? path.resolve(values.out) : path.join(here, 'dist');
  const info = await build(outDir);
  const listed = Object.entries(info.files).map(([from, to]) => (from === to ? from : `${from} → ${to}`));
  console.log(`built ${outDir} (commit ${info.commit ?? 'unknown'}): ${listed.join(', ')}`);
} catch (error) {
  console.error(`build failed: ${error.message}`);
  process.exitCode = 1;
}
