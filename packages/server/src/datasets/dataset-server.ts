import { spawn } from 'node:child_process';
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import pg from 'pg';

// The PostgreSQL server that holds datasets' golden copies and clones (SLIPWAY_DATASET_DATABASE_URL),
// reached as a user that may create databases and roles. Every name Slipway makes there starts with
// `slipway_ds_`, so what it owns can be listed and swept. Passwords go to the server inside SQL
// literals only: never in a process's arguments or environment, never in an error message.

export const OWNED_PREFIX = 'slipway_ds_';

/** A dataset could not be made or cloned; `message` names what and why, never a password. */
export class DatasetServerError extends Error {
  constructor(
    message: string,
    /** unreachable: the source or the dataset server did not answer; full: the server refused a database or connection; failed: the data or transform. */
    readonly kind: 'unreachable' | 'full' | 'failed',
  ) {
    super(message);
    this.name = 'DatasetServerError';
  }
}

export type GoldenSource = { url: string } | { file: string };

export interface CloneConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  url: string;
}

export class DatasetServer {
  private readonly admin: pg.Pool;
  private readonly url: URL;

  constructor(
    readonly databaseUrl: string,
    options: { maxConnections?: number } = {},
  ) {
    this.url = new URL(databaseUrl);
    this.admin = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 4 });
    // An idle pooled connection that the server ends must not crash the process.
    this.admin.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.admin.end();
  }

  /** Whether the server answers, as an error saying where it was looked for when not. */
  async check(): Promise<void> {
    await this.query('SELECT 1', 'reaching the dataset server');
  }

  /** Makes `golden` from the source (a database URL, a SQL script or a pg_dump archive), then runs the transform in it. */
  async createGolden(golden: string, source: GoldenSource, transform?: string): Promise<void> {
    await this.dropDatabase(golden);
    await this.query(`CREATE DATABASE ${ident(golden)}`, `creating the golden copy ${golden}`);
    try {
      if ('url' in source) await this.copyFromDatabase(source.url, golden);
      else await this.loadFile(source.file, golden);
      if (transform) await this.runTransform(golden, transform);
      // Nobody connects to a template but Slipway while cloning it.
      await this.query(`REVOKE CONNECT ON DATABASE ${ident(golden)} FROM PUBLIC`, `closing ${golden}`);
    } catch (error) {
      await this.dropDatabase(golden).catch(() => undefined);
      throw error;
    }
  }

  /**
   * A clone of `golden` with a role of its own that owns its objects; other roles cannot connect
   * to it. Made half-way (refused, or killed), it is dropped again by `dropClone` or the sweep.
   */
  async createClone(golden: string, clone: string, role: string, password: string): Promise<void> {
    await this.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD ${literal(password)}`, `creating the role of clone ${clone}`, true);
    await this.query(`CREATE DATABASE ${ident(clone)} TEMPLATE ${ident(golden)} OWNER ${ident(role)}`, `creating clone ${clone} from ${golden}`);
    await this.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${ident(clone)} FROM PUBLIC`, `closing clone ${clone}`);
    await this.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(clone)} TO ${ident(role)}`, `opening clone ${clone} to its role`);
    await this.giveObjects(clone, role);
  }

  /** Drops a clone's database and role; either missing is no error. */
  async dropClone(clone: string, role: string): Promise<void> {
    await this.dropDatabase(clone);
    await this.query(`DROP ROLE IF EXISTS ${ident(role)}`, `dropping role ${role}`);
  }

  async dropDatabase(name: string): Promise<void> {
    await this.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`, `dropping database ${name}`);
  }

  /** Databases and roles of Slipway's on the server: what the sweep compares with the store. */
  async owned(): Promise<{ databases: string[]; roles: string[] }> {
    const like = `${OWNED_PREFIX}%`;
    const databases = await this.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE ${literal(like)} ORDER BY datname`, 'listing datasets');
    const roles = await this.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname LIKE ${literal(like)} ORDER BY rolname`, 'listing dataset roles');
    return { databases: databases.rows.map((r) => r.datname), roles: roles.rows.map((r) => r.rolname) };
  }

  /** How a clone is reached: the dataset server's host and port, the clone's database, role and password. */
  connection(database: string, user: string, password: string): CloneConnection {
    const host = this.url.hostname || 'localhost';
    const port = Number(this.url.port || 5432);
    const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(database)}`;
    return { host, port, database, user, password, url };
  }

  /** The URL of another database on this server, as the administrator (tools and tests). */
  urlOf(database: string): string {
    const url = new URL(this.databaseUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  private async copyFromDatabase(sourceUrl: string, golden: string): Promise<void> {
    const where = describeUrl(sourceUrl);
    // A source that does not answer is told apart from one whose copy fails.
    const probe = new pg.Client({ connectionString: sourceUrl, connectionTimeoutMillis: 10_000 });
    try {
      await probe.connect();
      await probe.query('SELECT 1');
    } catch (error) {
      throw new DatasetServerError(`the source database ${where} cannot be reached: ${cleanMessage(error, sourceUrl)}`, 'unreachable');
    } finally {
      await probe.end().catch(() => undefined);
    }
    // Passwords go to the tools in their environment, never in arguments anyone can list.
    const source = toolTarget(sourceUrl);
    const target = toolTarget(this.urlOf(golden));
    await pipeTools(
      ['pg_dump', ['--format=custom', '--no-owner', '--no-acl', '--dbname', source.url], source.env],
      ['pg_restore', ['--no-owner', '--no-acl', '--exit-on-error', '--dbname', target.url], target.env],
      `copying ${where} into the golden copy`,
      [sourceUrl, this.databaseUrl],
    );
  }

  private async loadFile(file: string, golden: string): Promise<void> {
    let size: number;
    try {
      size = statSync(file).size;
    } catch (error) {
      throw new DatasetServerError(`the source file ${file} cannot be read: ${(error as Error).message}`, 'failed');
    }
    if (size === 0) throw new DatasetServerError(`the source file ${file} is empty`, 'failed');
    const archive = isDumpArchive(file);
    const target = toolTarget(this.urlOf(golden));
    const [tool, args] = archive
      ? ['pg_restore', ['--no-owner', '--no-acl', '--exit-on-error', '--dbname', target.url, file]]
      : ['psql', ['--no-psqlrc', '--quiet', '--set', 'ON_ERROR_STOP=1', '--dbname', target.url]];
    await runTool(tool, args as string[], target.env, archive ? undefined : file, `loading ${file} into the golden copy`, [this.databaseUrl]);
  }

  private async runTransform(golden: string, transform: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.urlOf(golden) });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(transform);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      const e = error as pg.DatabaseError;
      throw new DatasetServerError(`the transform failed${e.position ? ` at character ${e.position}` : ''}: ${e.message}`, 'failed');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Makes the clone's role the owner of its schemas, tables, views and free sequences. */
  private async giveObjects(clone: string, role: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.urlOf(clone) });
    await client.connect().catch((error: Error) => {
      throw classify(error, `connecting to clone ${clone}`, [this.databaseUrl]);
    });
    try {
      const { rows } = await client.query<{ statement: string }>(`
        SELECT format('ALTER SCHEMA %I OWNER TO %I', nspname, $1::text) AS statement
          FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
        UNION ALL
        SELECT format(CASE c.relkind WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %I.%I OWNER TO %I' WHEN 'S' THEN 'ALTER SEQUENCE %I.%I OWNER TO %I' ELSE 'ALTER TABLE %I.%I OWNER TO %I' END, n.nspname, c.relname, $1::text)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
           AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))`, [role]);
      for (const { statement } of rows) await client.query(statement);
    } catch (error) {
      throw classify(error, `giving clone ${clone}'s objects to its role`, [this.databaseUrl]);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async query<R extends pg.QueryResultRow>(text: string, what: string, hidesSecret = false): Promise<pg.QueryResult<R>> {
    try {
      return await this.admin.query<R>(text);
    } catch (error) {
      if (hidesSecret) throw classify(new Error((error as Error).message.replace(/PASSWORD\s+'[^']*'/gi, "PASSWORD '…'")), what, [this.databaseUrl]);
      throw classify(error, what, [this.databaseUrl]);
    }
  }
}

/** An error of the dataset server as a DatasetServerError of the right kind. */
function classify(error: unknown, what: string, urls: string[]): DatasetServerError {
  if (error instanceof DatasetServerError) return error;
  const e = error as Error & { code?: string };
  const message = `${what}: ${cleanMessage(e, ...urls)}`;
  // 53xxx: insufficient resources (too many connections, disk full, out of memory); 55006: source in use.
  if (e.code?.startsWith('53') || /too many connections|no space left|remaining connection slots/i.test(e.message)) return new DatasetServerError(`the dataset server is full: ${message}`, 'full');
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes(e.code ?? '') || /connect|timeout/i.test(e.message)) {
    return new DatasetServerError(`the dataset server cannot be reached: ${message}`, 'unreachable');
  }
  if (e.code === '42501') return new DatasetServerError(`the dataset server refused: ${message} (its user must be allowed to create databases and roles)`, 'full');
  return new DatasetServerError(message, 'failed');
}

/** A message with any of the URLs (and their passwords) taken out. */
function cleanMessage(error: unknown, ...urls: string[]): string {
  let text = (error as Error).message ?? String(error);
  for (const url of urls) {
    text = text.split(url).join(describeUrl(url));
    const password = safePassword(url);
    if (password) text = text.split(password).join('…');
  }
  return text;
}

function safePassword(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    return undefined;
  }
}

/** A URL as it may be shown: host, port and database, without its user's password. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || parsed.searchParams.get('host') || 'localhost'}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch {
    return '(a URL that does not parse)';
  }
}

/** Whether a file is a pg_dump custom-format archive (it starts with PGDMP) rather than a SQL script. */
function isDumpArchive(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(5);
    readSync(fd, head, 0, 5, 0);
    return head.toString('latin1') === 'PGDMP';
  } finally {
    closeSync(fd);
  }
}

/** Runs a PostgreSQL client tool, feeding it `stdinFile`; rejects with its last lines of stderr. */
function runTool(tool: string, args: string[], env: NodeJS.ProcessEnv, stdinFile: string | undefined, what: string, urls: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: [stdinFile ? 'pipe' : 'ignore', 'ignore', 'pipe'], env });
    const stderr: Buffer[] = [];
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (stdinFile && child.stdin) {
      child.stdin.on('error', () => undefined);
      createReadStream(stdinFile).pipe(child.stdin);
    }
    child.on('error', (error) => reject(new DatasetServerError(`${what}: cannot run ${tool} (${error.message}); install the PostgreSQL client tools`, 'failed')));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const text = cleanMessage(new Error(Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-5).join('; ')), ...urls);
      reject(new DatasetServerError(`${what}: ${tool} exited with ${code}: ${text || 'no message'}`, 'failed'));
    });
  });
}

/** Runs `from | to`; rejects with the stderr of whichever failed. */
function pipeTools(from: [string, string[], NodeJS.ProcessEnv], to: [string, string[], NodeJS.ProcessEnv], what: string, urls: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const producer = spawn(from[0], from[1], { stdio: ['ignore', 'pipe', 'pipe'], env: from[2] });
    const consumer = spawn(to[0], to[1], { stdio: ['pipe', 'ignore', 'pipe'], env: to[2] });
    const errors: Record<string, Buffer[]> = { [from[0]]: [], [to[0]]: [] };
    producer.stderr.on('data', (c: Buffer) => errors[from[0]]!.push(c));
    consumer.stderr.on('data', (c: Buffer) => errors[to[0]]!.push(c));
    consumer.stdin.on('error', () => undefined);
    producer.stdout.pipe(consumer.stdin);
    const codes: Record<string, number | null> = {};
    let failedToStart: Error | undefined;
    const done = () => {
      if (!(from[0] in codes) || !(to[0] in codes)) return;
      if (failedToStart) return reject(new DatasetServerError(`${what}: ${failedToStart.message}; install the PostgreSQL client tools`, 'failed'));
      const bad = [from[0], to[0]].find((tool) => codes[tool] !== 0);
      if (!bad) return resolve();
      const text = cleanMessage(new Error(Buffer.concat(errors[bad]!).toString('utf8').trim().split('\n').slice(-5).join('; ')), ...urls);
      reject(new DatasetServerError(`${what}: ${bad} exited with ${codes[bad]}: ${text || 'no message'}`, 'failed'));
    };
    for (const [tool, child] of [
      [from[0], producer],
      [to[0], consumer],
    ] as const) {
      child.on('error', (error) => {
        failedToStart ??= error;
        codes[tool] ??= -1;
        done();
      });
      child.on('close', (code) => {
        codes[tool] ??= code;
        done();
      });
    }
  });
}

/** A URL for a client tool without its password, which goes in PGPASSWORD instead. */
export function toolTarget(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { url: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || name.length > 63) throw new Error(`not a database name Slipway makes: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
