/**
 * Two ways to give MikroORM 7 an embedded PGlite database, on the same data-directory storage:
 *   socket      — what Fleetcast does: its embedded server on a Unix socket, the ordinary `pg` pool.
 *   in-process  — no socket: kysely's PostgresDialect over a PGlite instance made to look like a pool.
 * After one unmeasured warm-up of each, each route runs 5 times, alternating, in fresh folders; the
 * median of each figure is printed.
 *
 *   npx tsx bench/pglite-routes.ts [--verbose]   (--verbose prints every run)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import { defineEntity, p } from '@mikro-orm/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import { ormConfig } from '../mixins/orm/database.ts';
import { EmbeddedPostgresServer } from '../mixins/orm/embedded-server.ts';
import { FLEETCAST_SCHEMA } from '../migrations/schema.ts';
import { cpuMeter, formatCpu } from './cpu.ts';

const INSERTS = 2_000;
const FLUSH_ENTITIES = 3_000;
const LOOKUPS = 500;
const RUNS = 5;

const Reading = defineEntity({
	name: 'Reading',
	tableName: 'bench_readings',
	properties: {
		id: p.integer().primary().autoincrement(),
		label: p.string().length(40),
		value: p.double(),
	},
});

type Route = 'socket' | 'in-process';

interface Opened {
	orm: MikroORM;
	close(): Promise<void>;
}

/** Exactly as mixins/database.ts opens the embedded database, with the bench table instead of the app's. */
async function openSocket(dir: string): Promise<Opened> {
	const socketDir = path.join(dir, 'run');
	fs.mkdirSync(socketDir, { recursive: true });
	const db = await PGlite.create(path.join(dir, 'pg'));
	const server = new EmbeddedPostgresServer(db, path.join(socketDir, '.s.PGSQL.5432'));
	await server.start();
	const orm = await MikroORM.init({
		...ormConfig(FLEETCAST_SCHEMA, { host: socketDir, port: 5432, user: 'postgres', database: 'postgres' }),
		entities: [Reading],
		extensions: [],
	});
	return {
		orm,
		async close() {
			await orm.close(true);
			await server.stop();
			await db.close();
		},
	};
}

/**
 * A PGlite instance presented as the `pg.Pool` kysely's PostgresDialect expects. PGlite is a single
 * backend, so a checked-out client holds it exclusively until released: that keeps a transaction's
 * statements from interleaving with other connections' queries, which is what the embedded server does too.
 */
class PGlitePool implements PostgresPool {
	readonly options = {};
	private tail: Promise<void> = Promise.resolve();

	constructor(private readonly db: PGlite) {}

	async connect(): Promise<PostgresPoolClient> {
		let release!: () => void;
		const held = new Promise<void>(resolve => (release = resolve));
		const previous = this.tail;
		this.tail = previous.then(() => held);
		await previous;
		const db = this.db;
		return {
			async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
				const result = await db.query<R>(sql, parameters as unknown[]);
				return { rows: result.rows, command: (result.command ?? '') as 'SELECT', rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
			},
			release,
		} as PostgresPoolClient;
	}

	async end(): Promise<void> {}
}

async function openInProcess(dir: string): Promise<Opened> {
	const db = await PGlite.create(path.join(dir, 'pg'));
	const orm = await MikroORM.init({
		...ormConfig(FLEETCAST_SCHEMA, { database: 'postgres' }),
		entities: [Reading],
		extensions: [],
		driverOptions: new PostgresDialect({ pool: new PGlitePool(db) }),
	});
	return {
		orm,
		async close() {
			await orm.close(true);
			await db.close();
		},
	};
}

interface Figures {
	/** A new data directory: includes PGlite's initdb. */
	openMs: number;
	/** The same directory again, as on a restart. */
	reopenMs: number;
	insertsPerSecond: number;
	flushMs: number;
	lookupsPerSecond: number;
}

async function measure(route: Route): Promise<Figures> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fc-bench-${route}-`));
	try {
		const open = route === 'socket' ? openSocket : openInProcess;
		let t = performance.now();
		const { orm, close } = await open(dir);
		await orm.em.getConnection().execute('select 1');
		const openMs = performance.now() - t;
		let figures: Omit<Figures, 'reopenMs'>;
		try {
			await orm.schema.create();

			const connection = orm.em.getConnection();
			t = performance.now();
			for (let i = 0; i < INSERTS; i++) {
				await connection.execute('insert into bench_readings (label, value) values (?, ?)', [`raw-${i}`, i / 7]);
			}
			const insertsPerSecond = INSERTS / ((performance.now() - t) / 1000);

			const em = orm.em.fork();
			for (let i = 0; i < FLUSH_ENTITIES; i++) em.create(Reading, { label: `flushed-${i}`, value: i / 3 });
			t = performance.now();
			await em.flush();
			const flushMs = performance.now() - t;

			const total = INSERTS + FLUSH_ENTITIES;
			t = performance.now();
			for (let i = 0; i < LOOKUPS; i++) {
				const id = 1 + ((i * 7919) % total);
				const found = await orm.em.fork().findOne(Reading, id);
				if (!found) throw new Error(`${route}: row ${id} not found`);
			}
			const lookupsPerSecond = LOOKUPS / ((performance.now() - t) / 1000);

			const [{ count }] = await connection.execute<{ count: string }[]>('select count(*)::text as count from bench_readings');
			if (Number(count) !== total) throw new Error(`${route}: expected ${total} rows, found ${count}`);
			figures = { openMs, insertsPerSecond, flushMs, lookupsPerSecond };
		} finally {
			await close();
		}
		t = performance.now();
		const again = await open(dir);
		await again.orm.em.getConnection().execute('select 1');
		const reopenMs = performance.now() - t;
		await again.close();
		return { ...figures, reopenMs };
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const route of ['socket', 'in-process'] as const) await measure(route);
const runs: Record<Route, Figures[]> = { socket: [], 'in-process': [] };
const cpu = cpuMeter();
for (let i = 0; i < RUNS; i++) {
	for (const route of ['socket', 'in-process'] as const) {
		const r = await measure(route);
		runs[route].push(r);
		if (process.argv.includes('--verbose')) console.log(`  run ${i + 1} ${route}: ${JSON.stringify(r, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`);
	}
}
const share = cpu();
for (const route of ['socket', 'in-process'] as const) {
	const f = (key: keyof Figures) => median(runs[route].map(r => r[key]));
	console.log(
		`pglite-routes [${route}] open ${f('openMs').toFixed(0)} ms (new folder), reopen ${f('reopenMs').toFixed(0)} ms, ` +
			`${Math.round(f('insertsPerSecond'))} inserts/s (${INSERTS} sequential execute), ` +
			`flush of ${FLUSH_ENTITIES} entities ${f('flushMs').toFixed(0)} ms (${Math.round(FLUSH_ENTITIES / (f('flushMs') / 1000))} entities/s), ` +
			`${Math.round(f('lookupsPerSecond'))} primary-key findOne/s (${LOOKUPS} sequential)`,
	);
}
console.log(`  while measuring: ${formatCpu(share, false)}`);
