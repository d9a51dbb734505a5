/**
 * The dispatch pipeline alone, on one node and a fresh PostgreSQL database: N devices (default
 * 3,000) whose WhatsApp driver takes every message at once, M leads (default 100,000) spread over
 * them, and one campaign with pacing off. Prints the time to fire (every message row created),
 * the end-to-end throughput until every message is `sent`, and the latency of the claim statements.
 *
 *   npx tsx --experimental-async-context-frame bench/dispatch.ts [devices] [recipients]
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { asSchema } from '../mixins/service-schema.ts';
import CampaignsService from '../services/campaigns/campaigns.service.ts';
import DevicesService from '../services/devices/devices.service.ts';
import type { Dispatcher } from '../services/devices/dispatcher.ts';
import type { DriverHandlers, OutgoingMessage, WhatsAppDriver } from '../services/devices/whatsapp-driver.ts';
import LeadsService from '../services/leads/leads.service.ts';
import MessagesService from '../services/messages/messages.service.ts';
import UsersService from '../services/users/users.service.ts';
import { postgresDatabase } from '../test/helpers/databases.ts';
import { startNode } from '../test/helpers/node.ts';
import { cpuMeter, formatCpu } from './cpu.ts';

const numbers = process.argv.slice(2).filter(a => /^\d+$/.test(a)).map(Number);
const deviceCount = numbers[0] ?? 3_000;
const recipientCount = numbers[1] ?? 100_000;

let accepted = 0;

/** A number that is always online and takes every message the moment it is sent. */
class AcceptingDriver implements WhatsAppDriver {
	private handlers?: DriverHandlers;
	constructor(private readonly phone: string) {}
	async connect(handlers: DriverHandlers): Promise<void> {
		this.handlers = handlers;
		setImmediate(() => handlers.open({ phone: this.phone, jid: `${this.phone}@s.whatsapp.net`, lid: null }));
	}
	async requestPairingCode(): Promise<string> {
		throw new Error('not pairing');
	}
	async logout(): Promise<void> {
		this.handlers?.close({ kind: 'logged_out', message: 'logged out' });
	}
	async send(_message: OutgoingMessage): Promise<void> {
		accepted++;
	}
	async end(): Promise<void> {
		this.handlers?.close({ kind: 'ended', message: 'ended' });
	}
}

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
	const { rows: deviceRows } = await sql.query<{ id: string; phone: string }>(
		`insert into devices (id, user_id, name, phone, jid, status, min_delay_seconds, max_delay_seconds, hourly_cap, daily_cap, warm_up, created_at, updated_at)
		 select gen_random_uuid(), $1, 'Bench ' || i, p, p || '@s.whatsapp.net', 'connecting', 0, 0, 1000000, 1000000, false, now(), now()
		 from generate_series(0, $2 - 1) i, lateral (select '6011' || lpad((10000000 + i)::text, 8, '0') as p) phone
		 returning id, phone`,
		[user.id, deviceCount],
	);
	for (const row of deviceRows) phones.set(row.id, row.phone);
	await sql.query(
		`insert into leads (id, user_id, device_id, name, phone, niches, target_status, created_at, updated_at)
		 select gen_random_uuid(), $1, d.ids[1 + i % $3], 'Lead ' || i, '+6012' || lpad(i::text, 8, '0'), array['bench'], 'prospect', now(), now()
		 from generate_series(0, $2 - 1) i, (select array_agg(id order by id) as ids from devices) d`,
		[user.id, recipientCount, deviceCount],
	);
	await sql.query('analyze');

	// Placement picks the devices up at its next tick; wait until every one is online here.
	const online = performance.now();
	await broker.call('devices.held');
	for (;;) {
		const { rows } = await sql.query<{ n: number }>(`select count(*)::int as n from devices where status = 'online'`);
		if (rows[0].n === deviceCount) break;
		if (seconds(online) > 600) throw new Error(`only ${rows[0].n} of ${deviceCount} devices came online`);
		await new Promise(resolve => setTimeout(resolve, 250));
	}
	const onlineSeconds = seconds(online);
	const dispatcher = (broker.getLocalService('devices') as unknown as { dispatcher: Dispatcher }).dispatcher;
	dispatcher.claimLatencies.length = 0;

	const cpu = cpuMeter();
	const began = performance.now();
	const meta = { meta: { user: { id: user.id } } };
	const campaign = await broker.call<{ id: string }, object>(
		'campaigns.create',
		{ title: 'Bench', scheduledAt: new Date().toISOString(), niche: 'bench', targetStatus: 'all', message: 'Hello {name}, {this is|here is} our offer.', minDelaySeconds: 0, maxDelaySeconds: 0 },
		meta,
	);
	let firedSeconds = Number.NaN;
	let firstSentSeconds = Number.NaN;
	const perSecond: number[] = [];
	let lastSent = 0;
	let lastAt = performance.now();
	for (;;) {
		await new Promise(resolve => setTimeout(resolve, 250));
		const { rows } = await sql.query<{ firing_done: boolean; sent: number; open: number }>(
			`select c.firing_done,
			   (select count(*)::int from messages where campaign_id = c.id and status = 'sent') as sent,
			   (select count(*)::int from messages where campaign_id = c.id and status in ('pending', 'sending')) as open
			 from campaigns c where c.id = $1`,
			[campaign.id],
		);
		const { firing_done: fired, sent, open } = rows[0];
		if (fired && Number.isNaN(firedSeconds)) firedSeconds = seconds(began);
		if (sent > 0 && Number.isNaN(firstSentSeconds)) firstSentSeconds = seconds(began);
		const now = performance.now();
		if (now - lastAt >= 1_000) {
			perSecond.push(((sent - lastSent) * 1000) / (now - lastAt));
			lastSent = sent;
			lastAt = now;
		}
		if (fired && open === 0) break;
		if (seconds(began) > 900) throw new Error(`not done after 900 s: ${sent} sent, ${open} open`);
	}
	const totalSeconds = seconds(began);
	const share = cpu();
	const { rows: final } = await sql.query<{ status: string; n: number }>(`select status, count(*)::int as n from messages group by status`);
	const counts = Object.fromEntries(final.map(r => [r.status, r.n]));
	const latencies = [...dispatcher.claimLatencies].sort((a, b) => a - b);
	const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
	const sentCount = counts.sent ?? 0;
	console.log(
		`dispatch [postgres] ${deviceCount} devices, ${recipientCount} recipients: online in ${onlineSeconds.toFixed(1)} s; ` +
			`fired in ${firedSeconds.toFixed(2)} s; all final in ${totalSeconds.toFixed(2)} s = ${(sentCount / totalSeconds).toFixed(0)} msg/s end to end ` +
			`(best second ${Math.max(...perSecond).toFixed(0)}); claims ${latencies.length}, p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms; ` +
			`statuses ${JSON.stringify(counts)}, driver accepted ${accepted}; ${formatCpu(share, false)}`,
	);
} finally {
	await sql.end().catch(() => undefined);
	await node?.stop();
	await db.drop();
}
