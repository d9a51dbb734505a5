import fs from 'node:fs';
import path from 'node:path';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { EmbeddedPostgresServer } from './embedded-server.ts';

/** Arbitrary constant key for the advisory lock that serialises migrations across nodes. */
const MIGRATION_LOCK_KEY = 7_284_301_912;

/** What a database holds: the entities the ORM maps, and the migrations that build their tables, in order. */
export interface DatabaseSchema {
	entities: NonNullable<Options['entities']>;
	migrations: NonNullable<NonNullable<Options['migrations']>['migrationsList']>;
	/** The folder new migrations and the snapshot are written to (`npm run migration:create`). */
	migrationsFolder: string;
}

export interface DatabaseOptions {
	schema: DatabaseSchema;
	/** postgres://… ; when absent an embedded PGlite database lives under `dataDir`. */
	databaseUrl?: string;
	dataDir: string;
	/** Apply pending migrations while holding the advisory lock. */
	migrate?: boolean;
	poolMax?: number;
	debug?: boolean;
}

/** Raw SQL with `?` placeholders, one statement per call. */
export interface SqlConnection {
	execute<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
}

/** The pool: single statements, and transactions on one of its connections. */
export interface SqlPool extends SqlConnection {
	/** Runs `work` inside one transaction: committed when it resolves, rolled back when it throws. */
	transaction<T>(work: (tx: SqlConnection) => Promise<T>): Promise<T>;
}

export interface Database {
	orm: MikroORM;
	/**
	 * Raw SQL on the ORM's pool. Values go as bind parameters: a batch's JSON is never copied into
	 * the statement text (MikroORM's own execute() formats every parameter into it).
	 */
	sql: SqlPool;
	/**
	 * A connection of its own, outside the pool, for work that must never queue behind it. A query
	 * is given up (and on PostgreSQL cancelled) after `timeoutMs`. Closed by `close()` or with the database.
	 */
	dedicated(options: { timeoutMs: number; onError(err: Error): void }): SqlConnection & { close(): Promise<void> };
	/** Where the ORM connects: a postgres URL or the embedded socket. */
	connection: pg.ClientConfig;
	embedded: boolean;
	/** Names of the migrations this open applied. */
	applied: string[];
	isReady(): Promise<boolean>;
	close(): Promise<void>;
}

export function ormConfig(schema: DatabaseSchema, connection: pg.ClientConfig, poolMax = 10, debug = false): Options {
	return {
		entities: schema.entities,
		extensions: [Migrator],
		clientUrl: connection.connectionString,
		host: connection.host,
		port: connection.port,
		user: connection.user,
		password: typeof connection.password === 'string' ? connection.password : undefined,
		dbName: connection.database,
		pool: { min: 0, max: poolMax },
		debug,
		ensureDatabase: false,
		migrations: {
			migrationsList: schema.migrations,
			path: schema.migrationsFolder,
			snapshotName: '.snapshot',
			emit: 'ts',
			snapshotOnMigrate: false,
			silent: true,
		},
	};
}

/** Opens the database: PostgreSQL from a URL, or embedded PGlite served over a local Unix socket. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
	const embedded = options.databaseUrl ? undefined : await startEmbedded(options.dataDir);
	const connection: pg.ClientConfig = embedded?.connection ?? { connectionString: options.databaseUrl };
	let orm: MikroORM;
	let applied: string[] = [];
	try {
		orm = await MikroORM.init(ormConfig(options.schema, connection, options.poolMax, options.debug));
		if (options.migrate !== false) applied = await migrateUnderLock(orm, connection);
	} catch (err) {
		await embedded?.stop();
		throw err;
	}
	const client = orm.em.getConnection().getClient();
	const dedicated = new Set<pg.Pool>();
	return {
		orm,
		sql: {
			async execute(sql, params = []) {
				const result = await client.executeQuery(CompiledQuery.raw(params.length ? numberPlaceholders(sql) : sql, params));
				return result.rows as never;
			},
			transaction(work) {
				return client.transaction().execute(trx =>
					work({
						async execute(sql, params = []) {
							const result = await trx.executeQuery(CompiledQuery.raw(params.length ? numberPlaceholders(sql) : sql, params));
							return result.rows as never;
						},
					}),
				);
			},
		},
		dedicated({ timeoutMs, onError }) {
			// PGlite runs one statement at a time and cannot cancel one: there the client only stops waiting.
			const pool = new pg.Pool({ ...connection, max: 1, query_timeout: timeoutMs, ...(embedded ? {} : { statement_timeout: timeoutMs }) });
			// A dropped idle connection is replaced on the next query; it must not crash the process.
			pool.on('error', onError);
			dedicated.add(pool);
			return {
				async execute(sql, params = []) {
					const result = await pool.query(params.length ? numberPlaceholders(sql) : sql, params);
					return result.rows as never;
				},
				async close() {
					if (dedicated.delete(pool)) await pool.end();
				},
			};
		},
		connection,
		embedded: Boolean(embedded),
		applied,
		async isReady() {
			try {
				await orm.em.getConnection().execute('select 1');
				return true;
			} catch {
				return false;
			}
		},
		async close() {
			await Promise.all([...dedicated].map(pool => pool.end()));
			await orm.close(true);
			await embedded?.stop();
		},
	};
}

/**
 * Applies pending migrations holding a session-level advisory lock on a dedicated connection,
 * so any number of nodes may start at once: one migrates, the others wait and find nothing to do.
 */
export async function migrateUnderLock(orm: MikroORM, connection: pg.ClientConfig): Promise<string[]> {
	const client = new pg.Client(connection);
	await client.connect();
	try {
		await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
		const applied = await orm.migrator.up();
		return applied.map(m => m.name);
	} finally {
		await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
		await client.end();
	}
}

interface Embedded {
	connection: pg.ClientConfig;
	stop(): Promise<void>;
}

/**
 * PGlite in this process, reached on a Unix socket in the data directory (embedded-server.ts),
 * so the ORM uses exactly the `pg` code path it uses against a real server (see BENCHMARKS.md).
 * A pid file keeps a second process from opening the same data directory.
 */
async function startEmbedded(dataDir: string): Promise<Embedded> {
	const { PGlite } = await import('@electric-sql/pglite');
	fs.mkdirSync(dataDir, { recursive: true });
	const pidFile = path.join(dataDir, 'fleetcast.pid');
	claimPidFile(pidFile);
	const socketDir = path.join(dataDir, 'run');
	fs.mkdirSync(socketDir, { recursive: true });
	const socketPath = path.join(socketDir, '.s.PGSQL.5432');
	fs.rmSync(socketPath, { force: true });
	const db = await PGlite.create(path.join(dataDir, 'pg'));
	const server = new EmbeddedPostgresServer(db, socketPath, { idleInTransactionMs: 60_000, onError: err => console.error(`Embedded database: ${err.message}`) });
	await server.start();
	return {
		connection: { host: socketDir, port: 5432, user: 'postgres', database: 'postgres' },
		async stop() {
			await server.stop();
			await db.close();
			fs.rmSync(pidFile, { force: true });
		},
	};
}

function claimPidFile(pidFile: string): void {
	try {
		fs.writeFileSync(pidFile, String(process.pid), { flag: 'wx' });
		return;
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
	}
	const owner = Number(fs.readFileSync(pidFile, 'utf8'));
	if (owner && owner !== process.pid && isAlive(owner)) {
		throw new Error(`The embedded database in ${path.dirname(pidFile)} is in use by process ${owner}. Stop it or set DATA_DIR to another folder.`);
	}
	fs.writeFileSync(pidFile, String(process.pid));
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return (err as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/**
 * `?` placeholders as PostgreSQL's `$1, $2, …`, leaving quoted strings, identifiers and `--` comments
 * alone. Block comments, dollar quoting and the `?` operators of jsonb are not understood: the
 * statements of this project use none of them.
 */
export function numberPlaceholders(sql: string): string {
	let out = '';
	let n = 0;
	for (let i = 0; i < sql.length; i++) {
		const c = sql[i];
		if (c === "'" || c === '"') {
			const end = sql.indexOf(c, i + 1);
			const stop = end === -1 ? sql.length : end + 1;
			out += sql.slice(i, stop);
			i = stop - 1;
		} else if (c === '-' && sql[i + 1] === '-') {
			const end = sql.indexOf('\n', i);
			const stop = end === -1 ? sql.length : end;
			out += sql.slice(i, stop);
			i = stop - 1;
		} else if (c === '?') {
			out += `$${++n}`;
		} else {
			out += c;
		}
	}
	return out;
}
