/**
 * Sequences on one node and a fresh PostgreSQL database per size: D devices (default 1,000) whose
 * WhatsApp driver takes every message at once, N leads carrying the trigger `drip` (lead i on device
 * i mod D), pacing off, and one sequence of two steps (step 1 at once, step 2 a day later) created
 * through `sequences.create`. For each N it measures:
 * - how long after the sequence is created all N enrolments exist, step 1's message exists for all of
 *   them (the `step` tick claimed them and `messages.enqueue` returned), the driver took all N, and all
 *   N enrolments moved on to step 2; read from counters around the service's own calls, not by polling;
 * - then, with nothing due (step 2 is a day away), the `step` tick of the running service: each of its
 *   statements timed around the service's own calls (`now`, `enrol` = two statements, `leaveOptedOut`,
 *   `claimDue`) over T ticks (default 20), and each statement once more under
 *   EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled back, with the watermark a tick uses
 *   (now − 6 s): its time and the buffers it touched, which is the figure that must stay flat as N
 *   grows. Both are taken twice: as the tables are when the last step settled (autovacuum may or
 *   may not have run; the dead-row count is printed) and after `vacuum analyze`.
 *
 * The tables are analyzed once the devices are online and the leads written, before the sequence
 * exists (so `sequence_enrolments` is analyzed empty, as on a new install). After that the bench
 * analyzes nothing by default, which is what a server with autovacuum off (as on the bench machine)
 * does all along, and any server until autovacuum's next round (`autovacuum_naptime`, 1 min by
 * default). `--analyze=<tables>` (comma-separated, e.g. `sequence_enrolments,messages`) stands in
 * for an autovacuum that keeps those tables' statistics fresh: the bench analyzes them every second
 * from the sequence's creation until all enrolments moved to step 2, and once more then.
 *
 * Sizes run one after the other, each on its own database; a summary table comes last.
 * `--plans` prints the text plan of every statement.
 *
 *   npx tsx --experimental-async-context-frame bench/sequences.ts [leads ...] [--devices=1000] [--ticks=20] [--analyze=<tables>] [--plans]
 *   npx tsx --experimental-async-context-frame bench/sequences.ts 1000 10000 100000     # the default sizes
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { SqlConnection } from '../mixins/orm/database.ts';
import { sqlOf } from '../mixins/orm.middleware.ts';
import { asSchema } from '../mixins/service-schema.ts';
import DevicesService from '../services/devices/devices.service.ts';
import LeadsService from '../services/leads/leads.service.ts';
import MessagesService from '../services/messages/messages.service.ts';
import { Enrolments, type Advanced, type ClaimedStep } from '../services/sequences/enrolments.ts';
import SequencesService from '../services/sequences/sequences.service.ts';
import UsersService from '../services/users/users.service.ts';
import { postgresDatabase, type TestDatabase } from '../test/helpers/databases.ts';
import { startNode, type TestNode } from '../test/helpers/node.ts';
import { AcceptingDriver, acceptedSends, insertDevices, insertLeads, untilOnline } from './accepting-fleet.ts';
import { cpuMeter, cpuSecondsOf, type CpuShare } from './cpu.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => Number(args.find(a => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const sizes = args.filter(a => /^\d+$/.test(a)).map(Number);
if (!sizes.length) sizes.push(1_000, 10_000, 100_000);
const deviceCount = option('devices', 1_000);
const tickCount = option('ticks', 20);
const showPlans = args.includes('--plans');
const analyzeTables = (args.find(a => a.startsWith('--analyze='))?.split('=')[1] ?? '').split(',').filter(t => /^[a-z_]+$/.test(t));

/** Step 2's delay: far enough that nothing is due while the idle ticks are measured. */
const STEP_2_DELAY_SECONDS = 86_400;
/** The service's watermark overlap (5 s) plus a tick: what `since` is in a tick with nothing new. */
const WATERMARK_AGE_MS = 6_000;
/** `claimDue`'s batch in the service: a shorter answer ends the tick. */
const CLAIM_BATCH = 500;
/** The `orphans` tick's age of a step claimed and not queued, in the service. */
const ORPHAN_AFTER_SECONDS = 60;


/** The statements of one `step` tick, in the order it runs them. */
const TICK_STATEMENTS = ['now', 'enrol', 'leaveOptedOut', 'claimDue'] as const;
type TickStatement = (typeof TICK_STATEMENTS)[number];
type TickTimes = Record<TickStatement | 'total', number>;

/** What EXPLAIN ANALYZE says of one statement. */
interface Explained {
	name: string;
	ms: number;
	planningMs: number;
	buffers: number;
	rows: number;
	/** The plan's nodes, one line each, indented. */
	shape: string;
	text?: string;
}

interface ExplainNode {
	'Node Type': string;
	'Relation Name'?: string;
	'Index Name'?: string;
	'Actual Rows': number;
	'Actual Loops': number;
	'Shared Hit Blocks': number;
	'Shared Read Blocks': number;
	Plans?: ExplainNode[];
}

interface IdleFigures {
	deadRows: number;
	autovacuumed: boolean;
	ticks: TickTimes[];
	explained: Explained[];
}

interface SizeResult {
	leads: number;
	line: string;
	before: IdleFigures;
	after: IdleFigures;
}

const seconds = (from: number) => (performance.now() - from) / 1000;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
};
const max = (values: number[]) => (values.length ? Math.max(...values) : Number.NaN);
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

function shapeOf(node: ExplainNode, depth = 0): string {
	const on = node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : '';
	const line = `${'  '.repeat(depth)}${node['Node Type']}${on} (rows ${node['Actual Rows']} × ${node['Actual Loops']}, buffers ${node['Shared Hit Blocks'] + node['Shared Read Blocks']})`;
	return [line, ...(node.Plans ?? []).map(child => shapeOf(child, depth + 1))].join('\n');
}

/** What `explainTick` explains, in order: the `step` tick's statements first. */
const EXPLAINED = [
	'enrol: leads changed',
	'enrol: sequences changed',
	'leaveOptedOut',
	'claimDue',
	'orphaned (every 30 s)',
	'unsettled (every 30 s)',
	'enrol after an edit: leads changed',
	'enrol after an edit: sequences changed',
];
/** How many of those are the `step` tick's. */
const STEP_EXPLAINED = 4;

/**
 * The tick's statements exactly as `Enrolments` writes them, each under EXPLAIN (ANALYZE, BUFFERS)
 * inside one transaction that is rolled back (they would change nothing anyway with nothing due):
 * the `step` tick's with the watermark of a quiet tick, the `orphans` tick's, and `enrol` as the
 * ticks in the few seconds after an edit of the sequence run it (`edited`: its `updated_at`).
 */
async function explainTick(sql: ReturnType<typeof sqlOf>, since: Date, edited: Date): Promise<Explained[]> {
	const names = EXPLAINED;
	const explained: Explained[] = [];
	const rollback = new Error('rollback');
	await sql
		.transaction(async tx => {
			const explaining: SqlConnection = {
				async execute<T>(text: string, params: unknown[] = []) {
					const [row] = await tx.execute<{ 'QUERY PLAN': [{ Plan: ExplainNode; 'Execution Time': number; 'Planning Time': number }] }[]>(`explain (analyze, buffers, format json) ${text}`, params);
					const [{ Plan: plan, 'Execution Time': executionMs, 'Planning Time': planningMs }] = row['QUERY PLAN'];
					const name = names[explained.length] ?? `statement ${explained.length + 1}`;
					const plain = showPlans ? (await tx.execute<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${text}`, params)).map(r => r['QUERY PLAN']).join('\n') : undefined;
					explained.push({ name, ms: executionMs, planningMs, buffers: plan['Shared Hit Blocks'] + plan['Shared Read Blocks'], rows: plan['Actual Rows'], shape: shapeOf(plan), text: plain });
					return [] as T;
				},
			};
			const enrolments = new Enrolments(explaining);
			await enrolments.enrol(since);
			await enrolments.leaveOptedOut(since);
			await enrolments.claimDue(CLAIM_BATCH);
			await enrolments.orphaned(ORPHAN_AFTER_SECONDS, CLAIM_BATCH);
			await enrolments.unsettled(ORPHAN_AFTER_SECONDS, CLAIM_BATCH);
			await enrolments.enrol(edited);
			throw rollback;
		})
		.catch(err => {
			if (err !== rollback) throw err;
		});
	return explained;
}

/** One size: a fresh database and node, the sequence created, run through step 1, then the idle ticks. */
async function runSize(leadCount: number, cleanups: (() => Promise<void>)[]): Promise<SizeResult> {
	const db: TestDatabase = await postgresDatabase();
	cleanups.push(() => db.drop());
	const client = new pg.Client({ connectionString: db.databaseUrl });
	cleanups.push(() => client.end().catch(() => undefined));
	const phones = new Map<string, string>();
	const devices = {
		name: 'devices',
		mixins: [asSchema(DevicesService)],
		methods: { createDriver: (store: { deviceId: string }) => new AcceptingDriver(phones.get(store.deviceId) ?? '601110000000') },
	};
	const node: TestNode = await startNode({
		db,
		services: [asSchema(UsersService), devices as never, ...[LeadsService, MessagesService, SequencesService].map(asSchema)],
		settings: { devices: { startJitterMs: 0 } },
	});
	cleanups.push(() => node.stop());
	const { broker } = node;
	// Moleculer's own handler would stop the broker and exit before the database is dropped: ours cleans up first.
	for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeListener(signal, (broker as unknown as { _closeFn: () => void })._closeFn);
	await client.connect();
	acceptedSends.count = 0;

	// The user, devices and leads are written straight into the tables: setting up is not measured.
	const { user } = await broker.call<{ user: { id: string } }, object>('users.register', { email: 'bench@example.com', name: 'Bench', password: 'a long enough password' });
	for (const [id, phone] of await insertDevices(client, user.id, deviceCount)) phones.set(id, phone);
	await insertLeads(client, user.id, leadCount, ['drip']);
	const seeded = performance.now();

	// Placement picks the devices up at its next tick; wait until every one is online here.
	await broker.call('devices.held');
	await untilOnline(client, deviceCount);
	// Statistics as a fleet that has been running has them: devices online, leads written; no enrolment yet.
	await client.query('analyze');
	const { rows: settings } = await client.query<{ autovacuum: string }>(`select current_setting('autovacuum') as autovacuum`);
	// The leads are older than a tick's watermark: the sequence alone brings them in, as it would for leads imported long ago.
	await sleep(Math.max(0, WATERMARK_AGE_MS + 1_000 - (performance.now() - seeded)));

	// Counters and timers around the service's own calls (its `enrolments` object and its `enqueue` method).
	const service = broker.getLocalService('sequences') as unknown as { enrolments: Enrolments; enqueue(claimed: ClaimedStep[]): Promise<void> };
	const counts = { enrolled: 0, queued: 0, advanced: 0 };
	const marks: Record<'enrolled' | 'queued' | 'sent' | 'advanced' | 'firstQueued', number> = { enrolled: NaN, queued: NaN, sent: NaN, advanced: NaN, firstQueued: NaN };
	let began = 0;
	/** Every `claimDue` of the run through step 1, in ms (the statement that finds due steps and marks them waiting). */
	const claims: number[] = [];
	let recording: TickTimes[] | undefined;
	let tick: (Partial<TickTimes> & { at: number }) | undefined;
	const enrolments = service.enrolments;
	const timed = <A extends unknown[], R>(name: TickStatement, call: (...a: A) => Promise<R>, after: (result: R) => void = () => undefined) =>
		async (...a: A): Promise<R> => {
			const at = performance.now();
			if (name === 'now') tick = { at };
			const result = await call(...a);
			const took = performance.now() - at;
			if (tick) tick[name] = (tick[name] ?? 0) + took;
			if (name === 'claimDue' && !recording && (result as unknown[]).length) claims.push(took);
			after(result);
			// A claim shorter than the batch ends the tick.
			if (name === 'claimDue' && tick && (result as unknown[]).length < CLAIM_BATCH) {
				if (recording && TICK_STATEMENTS.every(s => tick![s] !== undefined)) recording.push({ ...(tick as TickTimes), total: performance.now() - tick.at });
				tick = undefined;
			}
			return result;
		};
	enrolments.now = timed('now', enrolments.now.bind(enrolments));
	const enrol = timed('enrol', enrolments.enrol.bind(enrolments), n => {
		counts.enrolled += n;
		if (counts.enrolled >= leadCount && Number.isNaN(marks.enrolled)) marks.enrolled = seconds(began);
	});
	// Autovacuum sees only committed changes: the stand-in never analyzes in the middle of an enrolment.
	let enrolling = false;
	enrolments.enrol = async (since: Date | null) => {
		enrolling = true;
		try {
			return await enrol(since);
		} finally {
			enrolling = false;
		}
	};
	enrolments.leaveOptedOut = timed('leaveOptedOut', enrolments.leaveOptedOut.bind(enrolments));
	enrolments.claimDue = timed('claimDue', enrolments.claimDue.bind(enrolments));
	const settled = enrolments.settled.bind(enrolments);
	enrolments.settled = async (...a: Parameters<Enrolments['settled']>): Promise<Advanced[]> => {
		const advanced = await settled(...a);
		counts.advanced += advanced.filter(row => row.status === 'active').length;
		if (counts.advanced >= leadCount && Number.isNaN(marks.advanced)) marks.advanced = seconds(began);
		return advanced;
	};
	const enqueue = service.enqueue.bind(service);
	service.enqueue = async (claimed: ClaimedStep[]) => {
		await enqueue(claimed);
		if (!claimed.length) return;
		if (Number.isNaN(marks.firstQueued)) marks.firstQueued = seconds(began);
		counts.queued += claimed.length;
		if (counts.queued >= leadCount && Number.isNaN(marks.queued)) marks.queued = seconds(began);
	};

	const postgresCpu = { cpuSeconds: () => [...cpuSecondsOf('postgres').values()].reduce((a, b) => a + b, 0) };
	const cpu = cpuMeter(postgresCpu);
	began = performance.now();
	await broker.call<{ id: string }, object>(
		'sequences.create',
		{
			name: 'Bench drip',
			trigger: 'drip',
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
			steps: [
				{ text: 'Hello {name}, {welcome|good to have you}.', delaySeconds: 0 },
				{ text: 'Day two for {name}.', delaySeconds: STEP_2_DELAY_SECONDS },
			],
		},
		{ meta: { user: { id: user.id } } },
	);
	const createdSeconds = seconds(began);
	let analyzes = 0;
	let analyzedAt = performance.now();
	const analyze = async () => {
		if (!analyzeTables.length) return;
		await client.query(`analyze ${analyzeTables.join(', ')}`);
		analyzes++;
		analyzedAt = performance.now();
	};
	let progress = { at: performance.now(), state: '' };
	for (;;) {
		await sleep(100);
		if (acceptedSends.count >= leadCount && Number.isNaN(marks.sent)) marks.sent = seconds(began);
		if (!Number.isNaN(marks.advanced) && !Number.isNaN(marks.sent)) break;
		if (performance.now() - analyzedAt >= 1_000 && !enrolling) await analyze();
		const state = JSON.stringify({ ...counts, accepted: acceptedSends.count });
		if (state !== progress.state) progress = { at: performance.now(), state };
		if (seconds(progress.at) > 180 || seconds(began) > 900) {
			// What the database is busy with, to say why.
			const { rows: statuses } = await client.query<{ status: string; n: number }>(`select status, count(*)::int as n from messages group by 1 order by 1`);
			const { rows: busy } = await client.query<{ seconds: number; query: string }>(
				`select extract(epoch from now() - query_start)::int as seconds, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) as query
				 from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid() order by query_start limit 3`,
			);
			throw new Error(
				`not done after ${seconds(began).toFixed(0)} s, no progress for ${seconds(progress.at).toFixed(0)} s: ${state}; marks ${JSON.stringify(marks)}; ` +
					`messages ${JSON.stringify(Object.fromEntries(statuses.map(r => [r.status, r.n])))}; longest statements: ${busy.map(b => `${b.seconds} s: ${b.query}`).join(' | ')}`,
			);
		}
	}
	const active: CpuShare = cpu();
	await analyze();

	const { rows: byStatus } = await client.query<{ status: string; position: number; n: number }>(
		`select status, position, count(*)::int as n from sequence_enrolments group by 1, 2 order by 1, 2`,
	);
	const { rows: messageRows } = await client.query<{ status: string; n: number }>(`select status, count(*)::int as n from messages where source = 'sequence' group by 1 order by 1`);
	const enrolmentStates = Object.fromEntries(byStatus.map(r => [`${r.status}@${r.position}`, r.n]));
	const messageStates = Object.fromEntries(messageRows.map(r => [r.status, r.n]));
	const fmt = (s: number) => s.toFixed(2);
	const statistics = `${analyzeTables.length ? `${analyzeTables.join(', ')} analyzed ${analyzes}×` : 'nothing analyzed'} after the sequence, autovacuum ${settings[0].autovacuum}`;
	const line =
		`sequences [postgres, ${statistics}] ${deviceCount} devices, ${leadCount} leads: created in ${fmt(createdSeconds)} s; all enrolled at ${fmt(marks.enrolled)} s; ` +
		`step 1 queued: first at ${fmt(marks.firstQueued)} s, all at ${fmt(marks.queued)} s; all sent at ${fmt(marks.sent)} s = ${(leadCount / marks.sent).toFixed(0)} msg/s; ` +
		`all at step 2 at ${fmt(marks.advanced)} s; claimDue with steps ${claims.length}×, median ${ms(median(claims))} ms, max ${ms(max(claims))} ms; enrolments ${JSON.stringify(enrolmentStates)}, messages ${JSON.stringify(messageStates)}, driver accepted ${acceptedSends.count}; ` +
		`CPU cores: node ${active.bench.toFixed(2)}, postgres ${active.server.toFixed(2)}, other processes ${active.others.toFixed(2)}`;
	console.log(line);

	/** Ticks of the running service, then EXPLAIN of each statement; the dead rows of the enrolments as they were. */
	async function idle(): Promise<IdleFigures> {
		const { rows: stats } = await client.query<{ dead: number; vacuumed: boolean }>(
			`select n_dead_tup::int as dead, (last_autovacuum is not null) as vacuumed from pg_stat_user_tables where relname = 'sequence_enrolments'`,
		);
		recording = [];
		const ticks = recording;
		const since = performance.now();
		while (ticks.length < tickCount) {
			if (seconds(since) > tickCount * 5 + 30) throw new Error(`only ${ticks.length} idle ticks in ${seconds(since).toFixed(0)} s`);
			await sleep(200);
		}
		recording = undefined;
		const [{ now }] = (await client.query<{ now: Date }>('select now()')).rows;
		const [{ updated }] = (await client.query<{ updated: Date }>('select max(updated_at) as updated from sequences')).rows;
		const explained = await explainTick(sqlOf(broker), new Date(now.getTime() - WATERMARK_AGE_MS), updated);
		return { deadRows: stats[0]?.dead ?? NaN, autovacuumed: Boolean(stats[0]?.vacuumed), ticks: ticks.slice(0, tickCount), explained };
	}
	// Nothing is due from here on: step 2 waits a day, and the sequence is older than the watermark.
	await sleep(Math.max(1_000, WATERMARK_AGE_MS + 1_000 - (performance.now() - began)));
	const before = await idle();
	await client.query('vacuum analyze sequence_enrolments, leads, messages, sequences, sequence_steps, devices');
	const after = await idle();
	for (const [label, figures] of [['as left', before], ['after vacuum analyze', after]] as const) {
		const tickLine = TICK_STATEMENTS.map(s => `${s} ${ms(median(figures.ticks.map(t => t[s])))} (max ${ms(max(figures.ticks.map(t => t[s]))!)})`).join(', ');
		console.log(
			`  idle ticks, ${label} (${figures.deadRows} dead enrolment rows, autovacuumed ${figures.autovacuumed ? 'yes' : 'no'}): ${figures.ticks.length} ticks, ` +
				`median (max) ms: tick ${ms(median(figures.ticks.map(t => t.total)))} (max ${ms(max(figures.ticks.map(t => t.total)))}); ${tickLine}`,
		);
		for (const e of figures.explained) {
			console.log(`    EXPLAIN ${e.name}: ${ms(e.ms)} ms (planning ${ms(e.planningMs)} ms), ${e.buffers} buffers, ${e.rows} rows`);
			console.log(e.shape.replace(/^/gm, '      '));
			if (e.text) console.log(e.text.replace(/^/gm, '      | '));
		}
	}
	return { leads: leadCount, line, before, after };
}

const cleanups: (() => Promise<void>)[] = [];
/** Stops the node, closes the client and drops the database of the size running now (latest first). */
async function cleanUp() {
	while (cleanups.length) {
		const step = cleanups.pop()!;
		await Promise.race([step(), sleep(30_000)]).catch(err => console.error(`cleaning up: ${(err as Error).message}`));
	}
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

const results: SizeResult[] = [];
try {
	for (const leadCount of sizes) {
		results.push(await runSize(leadCount, cleanups));
		await cleanUp();
	}
	if (results.length > 1) {
		console.log(
			`\nidle step tick, as left | after vacuum analyze: median tick ms; EXPLAIN buffers of ${EXPLAINED.slice(0, STEP_EXPLAINED).join(', ')}; ` +
				`then the ms and buffers of enrol's sequences-changed statement just after an edit`,
		);
		for (const r of results) {
			const part = (f: IdleFigures) => {
				const edit = f.explained[EXPLAINED.length - 1];
				return `${ms(median(f.ticks.map(t => t.total)))} ms; buffers ${f.explained.slice(0, STEP_EXPLAINED).map(e => e.buffers).join(' / ')}; after an edit ${edit ? `${ms(edit.ms)} ms, ${edit.buffers} buffers` : '-'}`;
			};
			console.log(`  ${String(r.leads).padStart(7)} enrolments: ${part(r.before)}  |  ${part(r.after)}`);
		}
	}
} catch (err) {
	console.error(err);
	process.exitCode = 1;
} finally {
	await cleanUp();
	process.exit(process.exitCode ?? 0);
}
