/**
 * The dispatch pipeline alone, on one node and a fresh PostgreSQL database: N devices (default
 * 3,000) whose WhatsApp driver takes every message at once, M leads (default 100,000) spread over
 * them, and one campaign with pacing off. Prints the time to fire (every message row created),
 * the end-to-end throughput until every message is `sent`, and the latency of the claim statements.
 *
 * With `--fire-first` the devices start inside quiet hours, so the campaign fires with nothing
 * being sent; the quiet hours are then lifted on every device and the dispatch alone is timed.
 *
 *   npx tsx --experimental-async-context-frame bench/dispatch.ts [devices] [recipients] [--fire-first]
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { asSchema } from '../mixins/service-schema.ts';
import CampaignsService from '../services/campaigns/campaigns.service.ts';
import DevicesService from '../services/devices/devices.service.ts';
import type { Dispatcher } from '../services/devices/dispatcher.ts';
import LeadsService from '../services/leads/leads.service.ts';
import MessagesService from '../services/messages/messages.service.ts';
import UsersService from '../services/users/users.service.ts';
import { postgresDatabase } from '../test/helpers/databases.ts';
import { startNode } from '../test/helpers/node.ts';
import { AcceptingDriver, acceptedSends, insertDevices, insertLeads, untilOnline } from './accepting-fleet.ts';
import { cpuMeter, cpuSecondsOf, type CpuShare } from './cpu.ts';

const numbers = process.argv.slice(2).filter(a => /^\d+$/.test(a)).map(Number);
const deviceCount = numbers[0] ?? 3_000;
const recipientCount = numbers[1] ?? 100_000;
const fireFirst = process.argv.includes('--fire-first');


const phoneOf = (i: number) => `6011${String(10_000_000 + i).slice(-8)}`;

const db = await postgresDatabase();
const sql = new pg.Client({ connectionString: db.databaseUrl });
const seconds = (from: number) => (performance.now() - from) / 1000;
let node: Awaited<ReturnType<typeof startNode>> | undefined;
process.once('SIGINT', () => void node?.stop().finally(() => db.drop().finally(() => process.exit(130))));
try {
	const phones = new Map<string, string>();
	const devices = {
		name: 'devices',
		mixins: [asSchema(DevicesService)],
		methods: { createDriver: (store: { deviceId: string }) => new AcceptingDriver(phones.get(store.deviceId) ?? phoneOf(0)) },
	};
	node = await startNode({
		db,
		services: [asSchema(UsersService), devices as never, ...[LeadsService, MessagesService, CampaignsService].map(asSchema)],
		settings: { devices: { startJitterMs: 0 }, campaigns: { tickMs: 200 } },
	});
	const { broker } = node;
	await sql.connect();

	// The user, devices and leads are written straight into the tables: setting up is not measured.
	const { user } = await broker.call<{ user: { id: string } }, object>('users.register', { email: 'bench@example.com', name: 'Bench', password: 'a long enough password' });
	for (const [id, phone] of await insertDevices(sql, user.id, deviceCount)) phones.set(id, phone);
	// Quiet all day but the last minute (UTC, the bench user's zone): nothing is sent until they are lifted.
	if (fireFirst) await sql.query(`update devices set quiet_start_minute = 0, quiet_end_minute = 1439`);
	await insertLeads(sql, user.id, recipientCount);
	await sql.query('analyze');

	// Placement picks the devices up at its next tick; wait until every one is online here.
	const online = performance.now();
	await broker.call('devices.held');
	await untilOnline(sql, deviceCount);
	const onlineSeconds = seconds(online);
	const dispatcher = (broker.getLocalService('devices') as unknown as { dispatcher: Dispatcher }).dispatcher;
	dispatcher.claimLatencies.length = 0;

	const postgresCpu = { cpuSeconds: () => [...cpuSecondsOf('postgres').values()].reduce((a, b) => a + b, 0) };
	const meta = { meta: { user: { id: user.id } } };
	// Cheap reads only, so the bench's polling does not load the database it measures: the firing flag,
	// the sends the driver took, and the open messages through the partial indexes of pending and sending.
	const fired = async (campaignId: string) => (await sql.query<{ done: boolean }>(`select firing_done as done from campaigns where id = $1`, [campaignId])).rows[0].done;
	const open = async () =>
		(await sql.query<{ n: number }>(`select (select count(*) from messages where status = 'pending') + (select count(*) from messages where status = 'sending') as n`)).rows[0].n;

	/** Polls every 250 ms from `began` until `done`; answers when the campaign fired and the best one-second rate of sends. */
	async function watch(campaignId: string, began: number, done: (state: { fired: boolean }) => Promise<boolean>) {
		const sentBefore = acceptedSends.count;
		let firedSeconds = Number.NaN;
		let firstSentSeconds = Number.NaN;
		let best = 0;
		let last = { sent: acceptedSends.count, at: performance.now() };
		for (;;) {
			await new Promise(resolve => setTimeout(resolve, 250));
			const now = performance.now();
			const state = { fired: !Number.isNaN(firedSeconds) || (await fired(campaignId)) };
			if (state.fired && Number.isNaN(firedSeconds)) firedSeconds = seconds(began);
			if (acceptedSends.count > sentBefore && Number.isNaN(firstSentSeconds)) firstSentSeconds = seconds(began);
			if (now - last.at >= 1_000) {
				best = Math.max(best, ((acceptedSends.count - last.sent) * 1000) / (now - last.at));
				last = { sent: acceptedSends.count, at: now };
			}
			if (await done(state)) return { firedSeconds, firstSentSeconds, best };
			if (seconds(began) > 900) throw new Error(`not done after 900 s: ${acceptedSends.count} sent`);
		}
	}
	const allFinal = async () => Number(await open()) === 0;

	const cpu = cpuMeter(postgresCpu);
	const began = performance.now();
	const campaign = await broker.call<{ id: string }, object>(
		'campaigns.create',
		{ title: 'Bench', scheduledAt: new Date().toISOString(), niche: 'bench', targetStatus: 'all', message: 'Hello {name}, {this is|here is} our offer.', minDelaySeconds: 0, maxDelaySeconds: 0 },
		meta,
	);
	const firing = await watch(campaign.id, began, async state => state.fired && (fireFirst || (await allFinal())));
	let dispatchSeconds = seconds(began);
	let best = firing.best;
	const fireShare = cpu();
	let dispatchShare = fireShare;
	if (fireFirst) {
		// Lifted in the table and in every lane at once (an edit through the API would do the same one device at a time).
		await sql.query(`update devices set quiet_start_minute = null, quiet_end_minute = null`);
		dispatcher.claimLatencies.length = 0;
		const dispatchCpu = cpuMeter(postgresCpu);
		const released = performance.now();
		for (const id of phones.keys()) dispatcher.repace(id, { quietStartMinute: null, quietEndMinute: null });
		({ best } = await watch(campaign.id, released, () => allFinal()));
		dispatchSeconds = seconds(released);
		dispatchShare = dispatchCpu();
	}
	const { rows: final } = await sql.query<{ status: string; n: number }>(`select status, count(*)::int as n from messages group by status`);
	const counts = Object.fromEntries(final.map(r => [r.status, r.n]));
	const latencies = [...dispatcher.claimLatencies].sort((a, b) => a - b);
	const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
	const sentCount = counts.sent ?? 0;
	const cores = (c: CpuShare) => `node ${c.bench.toFixed(2)}, postgres ${c.server.toFixed(2)}, other processes ${c.others.toFixed(2)}`;
	console.log(
		`dispatch [postgres${fireFirst ? ', fire first' : ''}] ${deviceCount} devices, ${recipientCount} recipients: online in ${onlineSeconds.toFixed(1)} s; ` +
			`fired in ${firing.firedSeconds.toFixed(2)} s${fireFirst ? ` (CPU cores: ${cores(fireShare)})` : `, first sent at ${firing.firstSentSeconds.toFixed(2)} s`}; ` +
			`${fireFirst ? 'then, quiet hours lifted, ' : ''}all final in ${dispatchSeconds.toFixed(2)} s = ${(sentCount / dispatchSeconds).toFixed(0)} msg/s ` +
			`(best second ${best.toFixed(0)}); claims ${latencies.length}, p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms; ` +
			`statuses ${JSON.stringify(counts)}, driver accepted ${acceptedSends.count}; CPU cores: ${cores(dispatchShare)}`,
	);
} finally {
	await sql.end().catch(() => undefined);
	await node?.stop();
	await db.drop();
}
