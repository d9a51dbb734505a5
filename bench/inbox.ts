/**
 * The inbox, on one node, in two parts.
 *
 * 1. Inbound messages end to end. N numbers are linked by QR to the WhatsApp double, and C
 *    contacts per number each send it M texts (`POST /control/contacts/:phone/text`, one contact's
 *    texts one after the other, SEND_CONCURRENCY contacts at a time). Each text goes through the
 *    double's Signal encryption, Baileys' decryption in the devices service, the inbox feed's
 *    batches, `inbox.feed` into `chats` and `chat_messages`, and comes out as an `inbox.message`
 *    frame on the owner's `/ws`, read here by a browser-like WebSocket. Prints the messages per
 *    second from the first send to the last frame, when every row was in `chat_messages`, each
 *    text's time from its send to its frame, inbox.feed's calls and time (the node's /metrics),
 *    and the CPU per message of the node, the double and PostgreSQL; then checks that every text
 *    arrived exactly once, as a frame and as a row, in the chat of its contact on its number.
 * 2. The chat list at 10,000 chats. Two more numbers of the same owner (not linked) get chats
 *    written straight into the tables: one 10,000, the other 100, each chat with a few messages
 *    and its last-message columns set, one in ten of them a lead. `GET /api/devices/:id/chats` is
 *    then timed over HTTP, QUERY_RUNS times each, for the first page, the second page, the last
 *    page and a search by one chat's name, round-robin between the two numbers; and the page
 *    query is run under `EXPLAIN ANALYZE` (the SQL the route runs, taken from ChatReader).
 *
 * The node runs in its own process, started as `npm start` starts one (gateway, users, devices,
 * leads, messages, media, inbox; a fresh PostgreSQL database), and so does the double (its CLI).
 *
 *   npx tsx --experimental-async-context-frame bench/inbox.ts [numbers=100] [contacts per number=5] [texts per contact=6] [--chats=10000]
 *
 * At most 100 texts per contact (a chat keeps 100 by default); `--chats` sizes the big list (200–99,999).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { DeviceDto } from '../services/devices/devices.params.ts';
import { ChatReader } from '../services/inbox/chat-rows.ts';
import type { ChatsPage } from '../services/inbox/inbox.params.ts';
import type { RemoteContact } from '../services/whatsapp-double/control-client.ts';
import { postgresDatabase, tempDir } from '../test/helpers/databases.ts';
import { Client, LiveSocket, type Frame } from '../test/helpers/http.ts';
import { freePort } from '../test/helpers/processes.ts';
import { assertRunning, BENCH_METRICS_TOKEN, cpuSince, formatCores, inPool, linkDevices, log, logProblems, nodeEnv, startDouble, startFleetcast, runFleetBench, type Fleet, type LinkedDevice } from './fleet.ts';

const numbers = process.argv.slice(2).filter(a => /^\d+$/.test(a)).map(Number);
const DEVICES = numbers[0] ?? 100;
const CONTACTS_PER_DEVICE = numbers[1] ?? 5;
const TEXTS_PER_CONTACT = numbers[2] ?? 6;
const CONTACTS = DEVICES * CONTACTS_PER_DEVICE;
const MESSAGES = CONTACTS * TEXTS_PER_CONTACT;
const BIG_CHATS = Number(process.argv.find(a => a.startsWith('--chats='))?.slice('--chats='.length) ?? 10_000);
const SMALL_CHATS = 100;
// More texts than the inbox keeps per chat would be pruned while counting them.
if (DEVICES < 1 || CONTACTS_PER_DEVICE < 1 || TEXTS_PER_CONTACT < 1 || TEXTS_PER_CONTACT > 100 || MESSAGES > 100_000) {
	throw new Error('numbers, contacts and texts must be positive integers, at most 100 texts per contact and 100,000 in all');
}
if (!Number.isInteger(BIG_CHATS) || BIG_CHATS < 2 * SMALL_CHATS || BIG_CHATS > 99_999) throw new Error(`--chats must be an integer from ${2 * SMALL_CHATS} to 99,999`);

const SERVICES = ['gateway', 'users', 'devices', 'leads', 'messages', 'media', 'inbox'];
/** Contacts sending at once (each its own texts in turn), and API calls during set-up. */
const SEND_CONCURRENCY = 50;
const SETUP_CONCURRENCY = 20;
const IDLE_SAMPLE_MS = 5_000;
/** Give up when no frame came for this long, or the whole run took this long. */
const STALL_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 10 * 60_000;
/** After the last frame, how long to keep listening for a late duplicate. */
const SETTLE_MS = 3_000;
/** Seeded chats: messages each, and one in this many is a lead. */
const SEEDED_MESSAGES_PER_CHAT = 3;
const LEAD_EVERY = 10;
const PAGE_SIZE = 50;
const QUERY_WARMUP = 20;
const QUERY_RUNS = 200;
const LABEL = 'inbox';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
/** Malaysian mobile numbers, as in bench/dispatch-baileys.ts. */
const phoneOf = (i: number) => `6012${1_000_000 + i}`;
/** Contact c's k-th text: each one different, so a frame or a row names its text. */
const textOf = (c: number, k: number) => `Hi, contact ${c} here (${k + 1}/${TEXTS_PER_CONTACT}): is the blue one still in stock?`;
/** A seeded chat's name: five digits, so "Customer 07777" matches that one chat only. */
const seededName = (i: number) => `Customer ${String(i).padStart(5, '0')}`;

function percentile(sorted: number[], q: number): number {
	return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function summary(values: number[]): { p50: number; p95: number; max: number } {
	const sorted = [...values].sort((a, b) => a - b);
	return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1) ?? Number.NaN };
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

// ---------------------------------------------------------------- 1. inbound messages end to end

interface Sent {
	contact: number;
	/** WhatsApp's id, as the double answered it. */
	id: string;
	/** When its send started (performance.now()). */
	at: number;
}

/** What the owner's socket received, read as it comes. */
class Inbox {
	readonly messages: { frame: Frame; at: number }[] = [];
	chatUpdates = 0;
	lastAt = 0;
	private readonly arrivals = new Map<Frame, number>();
	private scanned = 0;

	constructor(private readonly live: LiveSocket) {
		// LiveSocket's own listener came first: the frame is already the last one.
		live.ws.on('message', () => this.arrivals.set(live.frames.at(-1)!, performance.now()));
	}

	scan(): void {
		const { frames } = this.live;
		for (; this.scanned < frames.length; this.scanned++) {
			const frame = frames[this.scanned];
			const at = this.arrivals.get(frame) ?? performance.now();
			this.arrivals.delete(frame);
			if (frame.type === 'inbox.message') {
				this.messages.push({ frame, at });
				this.lastAt = Math.max(this.lastAt, at);
			} else if (frame.type === 'inbox.chat-updated') this.chatUpdates++;
		}
	}
}

/** inbox.feed's calls so far and the milliseconds they took, from the node's /metrics (Moleculer's request metrics). */
async function feedCalls(url: string): Promise<{ calls: number; ms: number }> {
	const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } })).text();
	const feed = { calls: 0, ms: 0 };
	for (const line of text.split('\n')) {
		if (!line.includes('action="inbox.feed"')) continue;
		const value = Number(line.slice(line.lastIndexOf(' ') + 1));
		if (line.startsWith('moleculer_request_total{')) feed.calls += value;
		else if (line.startsWith('moleculer_request_time_sum{')) feed.ms += value;
	}
	return feed;
}

/** Every contact sends its texts in turn, SEND_CONCURRENCY contacts at a time; contact c writes to number c mod N. */
async function sendAll(contacts: RemoteContact[], devices: LinkedDevice[], sent: Map<string, Sent>): Promise<void> {
	await inPool(contacts.length, SEND_CONCURRENCY, async c => {
		for (let k = 0; k < TEXTS_PER_CONTACT; k++) {
			const text = textOf(c, k);
			const message: Sent = { contact: c, id: '', at: performance.now() };
			sent.set(text, message);
			message.id = await contacts[c].sendText(devices[c % DEVICES].phone, text);
		}
	});
}

interface Arrival {
	rowsSeconds: number;
	lastFrameSeconds: number;
}

/** Waits until a frame came for every text and every row is in, polling PostgreSQL every 100 ms; fails as soon as a send does. */
async function awaitArrival(fleet: Fleet, sql: pg.Client, inbox: Inbox, began: number, sending: Promise<number>): Promise<Arrival> {
	const seconds = (at: number) => (at - began) / 1000;
	let sendError: unknown;
	sending.catch(err => (sendError = err ?? new Error('a send failed')));
	let rowsSeconds = Number.NaN;
	let [lastCount, lastProgress] = [0, performance.now()];
	for (;;) {
		await sleep(100);
		if (sendError) throw sendError;
		assertRunning(fleet);
		inbox.scan();
		if (Number.isNaN(rowsSeconds)) {
			const { rows } = await sql.query<{ n: number }>('select count(*)::int as n from chat_messages');
			if (rows[0].n >= MESSAGES) rowsSeconds = seconds(performance.now());
		}
		const now = performance.now();
		if (inbox.messages.length >= MESSAGES && !Number.isNaN(rowsSeconds)) return { rowsSeconds, lastFrameSeconds: seconds(inbox.lastAt) };
		if (inbox.messages.length > lastCount) [lastCount, lastProgress] = [inbox.messages.length, now];
		if (now - lastProgress > STALL_TIMEOUT_MS || now - began > RUN_TIMEOUT_MS) {
			throw new Error(`stalled: ${inbox.messages.length} of ${MESSAGES} frames after ${seconds(now).toFixed(0)} s (rows in: ${Number.isNaN(rowsSeconds) ? 'no' : 'yes'})`);
		}
	}
}

interface InboundCheck {
	problems: string[];
	latencies: number[];
}

/** Every text once as a frame (on its number, from its contact) and once as a row, in one chat per contact holding all its texts. */
async function checkInbound(sql: pg.Client, inbox: Inbox, sent: Map<string, Sent>, devices: LinkedDevice[], deviceIds: string[]): Promise<InboundCheck> {
	const problems: string[] = [];
	const latencies: number[] = [];
	const framed = new Map<string, number>();
	let misplaced = 0;
	for (const { frame, at } of inbox.messages) {
		const text: string = frame.payload?.message?.text ?? '';
		framed.set(text, (framed.get(text) ?? 0) + 1);
		const message = sent.get(text);
		if (!message) continue;
		if (frame.payload.deviceId !== devices[message.contact % DEVICES].id || frame.payload.phone !== `+${phoneOf(message.contact)}` || frame.payload.message.fromMe) misplaced++;
		if (framed.get(text) === 1) latencies.push(at - message.at);
	}
	const missingFrames = [...sent.keys()].filter(t => !framed.has(t)).length;
	const duplicateFrames = [...framed.values()].reduce((n, count) => n + count - 1, 0);
	const strangeFrames = [...framed.keys()].filter(t => !sent.has(t)).length;
	if (missingFrames + duplicateFrames + strangeFrames + misplaced) {
		problems.push(`frames: ${missingFrames} texts without one, ${duplicateFrames} duplicates, ${strangeFrames} unknown texts, ${misplaced} on the wrong number or contact`);
	}

	const { rows } = await sql.query<{ device_id: string; wa_message_id: string; text: string; phone: string; status: string }>(
		`select m.device_id, m.wa_message_id, m.text, c.phone, m.status from chat_messages m join chats c on c.id = m.chat_id where m.device_id = any($1::uuid[])`,
		[deviceIds],
	);
	const stored = new Map<string, number>();
	let wrongRows = 0;
	for (const row of rows) {
		stored.set(row.text, (stored.get(row.text) ?? 0) + 1);
		const message = sent.get(row.text);
		if (!message || row.wa_message_id !== message.id || row.device_id !== devices[message.contact % DEVICES].id || row.phone !== `+${phoneOf(message.contact)}` || row.status !== 'received') wrongRows++;
	}
	const missingRows = [...sent.keys()].filter(t => !stored.has(t)).length;
	const duplicateRows = [...stored.values()].reduce((n, count) => n + count - 1, 0);
	if (rows.length !== MESSAGES || missingRows + duplicateRows + wrongRows) {
		problems.push(`rows: ${rows.length} of ${MESSAGES}, ${missingRows} texts without one, ${duplicateRows} duplicates, ${wrongRows} wrong (id, number, chat or status)`);
	}

	const chats = await sql.query<{ n: number; right: number }>(
		`select count(*)::int as n, count(*) filter (where unread = $2 and message_count = $2)::int as right from chats where device_id = any($1::uuid[])`,
		[deviceIds, TEXTS_PER_CONTACT],
	);
	const { n, right } = chats.rows[0];
	if (n !== CONTACTS || right !== CONTACTS) problems.push(`chats: ${n} (expected ${CONTACTS}), ${right} with ${TEXTS_PER_CONTACT} unread of ${TEXTS_PER_CONTACT}`);
	return { problems, latencies };
}

/** Part 1: the numbers' contacts write to them; answers what broke. */
async function inbound(fleet: Fleet, client: Client, url: string, sql: pg.Client, devices: LinkedDevice[]): Promise<string[]> {
	const { control } = fleet.double!;
	const contacts: RemoteContact[] = new Array(CONTACTS);
	await inPool(CONTACTS, SETUP_CONCURRENCY, async c => {
		contacts[c] = await control.addContact({ phone: phoneOf(c), name: `Contact ${c}` });
	});
	const live = await LiveSocket.open(url, { cookie: client.cookie! });
	const inbox = new Inbox(live);
	log(`${CONTACTS} contacts on the double; the owner's /ws is open`);
	try {
		const idleCpu = cpuSince(fleet);
		await sleep(IDLE_SAMPLE_MS);
		const idle = idleCpu();
		log(`idle with ${DEVICES} numbers online: ${formatCores(idle)}`);

		const sent = new Map<string, Sent>();
		const feedBefore = await feedCalls(url);
		const cpu = cpuSince(fleet);
		const began = performance.now();
		const sending = sendAll(contacts, devices, sent).then(() => performance.now());
		const arrival = await awaitArrival(fleet, sql, inbox, began, sending);
		const shares = cpu();
		const sendSeconds = ((await sending) - began) / 1000;
		await sleep(SETTLE_MS);
		inbox.scan();
		const feedAfter = await feedCalls(url);
		const feed = { calls: feedAfter.calls - feedBefore.calls, ms: feedAfter.ms - feedBefore.ms };

		const check = await checkInbound(sql, inbox, sent, devices, devices.map(d => d.id));
		const problems = logProblems(fleet.node!.output());
		const latency = summary(check.latencies);
		const perMessageMs = (cpuSeconds: number) => ((cpuSeconds * 1000) / MESSAGES).toFixed(2);
		const checked = check.problems.length ? check.problems.join('; ') : `each of the ${MESSAGES} texts arrived exactly once, as a frame and as a row, in its contact's chat on its number`;
		console.log(
			`inbox inbound: ${DEVICES} numbers × ${CONTACTS_PER_DEVICE} contacts × ${TEXTS_PER_CONTACT} texts = ${MESSAGES} messages: ` +
				`last send answered at ${sendSeconds.toFixed(2)} s, all rows in by ${arrival.rowsSeconds.toFixed(2)} s, last inbox.message frame at ${arrival.lastFrameSeconds.toFixed(2)} s ` +
				`= ${(MESSAGES / arrival.lastFrameSeconds).toFixed(0)} msg/s end to end; send to frame p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, max ${ms(latency.max)}; ` +
				`${inbox.chatUpdates} inbox.chat-updated frames; inbox.feed called ${feed.calls} times (${(MESSAGES / feed.calls).toFixed(1)} messages and ${(feed.ms / feed.calls).toFixed(0)} ms a call, ` +
				`busy ${((feed.ms / 1000 / arrival.lastFrameSeconds) * 100).toFixed(0)}% of the run); CPU per message: node ${perMessageMs(shares.cpuSeconds.node)} ms, double ${perMessageMs(shares.cpuSeconds.double)} ms, ` +
				`postgres ${perMessageMs(shares.cpuSeconds.postgres)} ms (node idle beforehand ${idle.node} cores); ${checked}; ` +
				`node log ${problems.warnings} warnings, ${problems.errors} errors; ${formatCores(shares)}`,
		);
		if (problems.first) log(`first problem in the node's log: ${problems.first.trim()}`);
		return check.problems;
	} finally {
		live.close();
	}
}

// ---------------------------------------------------------------- 2. the chat list at 10,000 chats

/**
 * `count` chats of one number, newest first by number (chat 1 is the newest, a minute apart), each
 * with SEEDED_MESSAGES_PER_CHAT messages (the last one also on the chat's line, as the inbox
 * keeps it), one in LEAD_EVERY a lead of the number; then ANALYZE.
 */
async function seedChats(sql: pg.Client, userId: string, deviceId: string, count: number, phonePrefix: string): Promise<void> {
	await sql.query(
		`insert into chats (id, user_id, device_id, phone, push_name, unread, message_count, last_text, last_at, last_from_me, last_status, created_at, updated_at)
		 select gen_random_uuid(), $1, $2, '+' || $3 || lpad(i::text, 7, '0'), 'Customer ' || lpad(i::text, 5, '0'),
		   case when i % 2 = 0 then 0 else 1 end, $5, 'Is order ' || i || ' on its way? I paid this morning.', now() - make_interval(mins => i),
		   i % 2 = 0, case when i % 2 = 0 then 'delivered' else 'received' end, now(), now()
		 from generate_series(1, $4::int) as i`,
		[userId, deviceId, phonePrefix, count, SEEDED_MESSAGES_PER_CHAT],
	);
	// Message k of a chat is k hours before its last one; the newest (k = 0) is the chat's line.
	await sql.query(
		`insert into chat_messages (id, user_id, device_id, chat_id, wa_message_id, from_me, origin, text, remote_jid, status, at, created_at)
		 select gen_random_uuid(), c.user_id, c.device_id, c.id, 'SEED' || md5(c.id::text || k), k = 0 and c.last_from_me, case when k = 0 and c.last_from_me then 'phone' end,
		   case when k = 0 then c.last_text else 'Hello, do you have it in size ' || (40 + k) || '?' end,
		   case when k = 0 and c.last_from_me then null else substr(c.phone, 2) || '@s.whatsapp.net' end,
		   case when k = 0 then c.last_status else 'read' end, c.last_at - make_interval(hours => k), now()
		 from chats c cross join generate_series(0, $2::int - 1) as k where c.device_id = $1`,
		[deviceId, SEEDED_MESSAGES_PER_CHAT],
	);
	await sql.query(`update chats c set last_message_id = m.id from chat_messages m where m.chat_id = c.id and m.at = c.last_at and c.device_id = $1`, [deviceId]);
	await sql.query(
		`insert into leads (id, user_id, device_id, name, phone, created_at, updated_at)
		 select gen_random_uuid(), user_id, device_id, 'Lead ' || substr(push_name, 10), phone, now(), now()
		 from chats where device_id = $1 and substr(phone, length(phone) - 6)::int % $2 = 0`,
		[deviceId, LEAD_EVERY],
	);
	await sql.query('analyze chats, chat_messages, leads');
}

interface ListTarget {
	label: string;
	deviceId: string;
	chats: number;
}

interface Query {
	name: string;
	path: (t: ListTarget) => string;
	/** What the first item and the count should be. */
	expect: (t: ListTarget) => { items: number; first: string };
}

/** A chat 70% down a seeded number's list (not a lead), for the search. */
const searchedOf = (t: ListTarget) => Math.floor(t.chats * 0.7) + 1;

const QUERIES: Query[] = [
	{ name: 'first page', path: t => `/api/devices/${t.deviceId}/chats`, expect: () => ({ items: PAGE_SIZE, first: seededName(1) }) },
	{ name: 'page 2', path: t => `/api/devices/${t.deviceId}/chats?page=2`, expect: () => ({ items: PAGE_SIZE, first: seededName(PAGE_SIZE + 1) }) },
	{
		name: 'last page',
		path: t => `/api/devices/${t.deviceId}/chats?page=${Math.ceil(t.chats / PAGE_SIZE)}`,
		expect: t => ({ items: t.chats - (Math.ceil(t.chats / PAGE_SIZE) - 1) * PAGE_SIZE, first: seededName((Math.ceil(t.chats / PAGE_SIZE) - 1) * PAGE_SIZE + 1) }),
	},
	{ name: 'search by name', path: t => `/api/devices/${t.deviceId}/chats?q=${encodeURIComponent(seededName(searchedOf(t)))}`, expect: t => ({ items: 1, first: seededName(searchedOf(t)) }) },
];

/** One timed GET, checked against what it should answer. */
async function timedGet(client: Client, target: ListTarget, query: Query): Promise<number> {
	const started = performance.now();
	const res = await client.get<ChatsPage>(query.path(target));
	const elapsed = performance.now() - started;
	const expected = query.expect(target);
	// A lead's name is "Lead <digits>", anyone else's "Customer <digits>": compare the digits.
	const digitsOf = (name?: string) => name?.replace(/\D/g, '');
	if (res.status !== 200 || res.body.items.length !== expected.items || digitsOf(res.body.items[0]?.name) !== digitsOf(expected.first)) {
		throw new Error(`${query.path(target)} answered ${res.status} with ${res.body?.items?.length} items, first ${res.body?.items?.[0]?.name}; expected ${expected.items}, first ${expected.first}`);
	}
	return elapsed;
}

/** Times every query on every target, round-robin, after QUERY_WARMUP rounds; answers milliseconds by "target/query". */
async function timeQueries(client: Client, targets: ListTarget[]): Promise<Map<string, number[]>> {
	const times = new Map<string, number[]>();
	for (let round = 0; round < QUERY_WARMUP + QUERY_RUNS; round++) {
		for (const target of targets) {
			for (const query of QUERIES) {
				const elapsed = await timedGet(client, target, query);
				if (round < QUERY_WARMUP) continue;
				const key = `${target.label}/${query.name}`;
				times.set(key, [...(times.get(key) ?? []), elapsed]);
			}
		}
	}
	return times;
}

/** The SQL ChatReader.page runs for these options, with PostgreSQL's placeholders. */
async function pageQuery(deviceId: string, options: { q?: string; limit: number; offset: number }): Promise<{ text: string; values: unknown[] }> {
	let captured = { text: '', values: [] as unknown[] };
	const capture = {
		async execute<T>(sql: string, params: unknown[] = []): Promise<T> {
			let n = 0;
			captured = { text: sql.replace(/\?/g, () => `$${++n}`), values: params };
			return [] as T;
		},
	};
	await new ChatReader(capture).page(deviceId, options);
	return captured;
}

/** A plan's scans and sorts, one phrase each: "Index Scan Backward using … on chats c (51 rows)", with the rows a filter removed. */
function accessPaths(plan: string[]): string {
	const lines = plan.map(line => line.trim().replace(/^->\s+/, ''));
	const steps: string[] = [];
	lines.forEach((line, i) => {
		if (line.startsWith('Sort Method')) return steps.push(line.replace(/\s+Memory: .*$/, ''));
		if (!/Scan/.test(line) || line.startsWith('Heap Blocks')) return;
		const rows = /actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)/.exec(line);
		// Its details run until the next node (a line with a cost).
		const next = lines.findIndex((l, j) => j > i && l.includes('(cost='));
		const details = lines.slice(i + 1, next === -1 ? undefined : next);
		const removed = details.find(l => l.startsWith('Rows Removed by Filter'))?.replace('Rows Removed by Filter: ', '');
		const what = line.replace(/\s*\(cost=.*$/, '');
		steps.push(rows ? `${what} (${rows[1]} rows${rows[2] !== '1' ? ` × ${rows[2]}` : ''}${removed ? `, ${removed} filtered out` : ''})` : what);
	});
	return steps.join(', ');
}

/** EXPLAIN ANALYZE of the route's page query (warm): how it reads the chats, and its time. */
async function explain(sql: pg.Client, target: ListTarget, name: string, options: { q?: string; limit: number; offset: number }): Promise<string> {
	const query = await pageQuery(target.deviceId, options);
	await sql.query(query.text, query.values);
	const { rows } = await sql.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${query.text}`, query.values);
	const plan = rows.map(r => r['QUERY PLAN']);
	log(`EXPLAIN ANALYZE, ${target.label}, ${name}:\n  ${plan.join('\n  ')}`);
	const execution = plan.find(line => line.startsWith('Execution Time'))?.replace('Execution Time: ', '') ?? '?';
	return `${target.label}, ${name}: ${execution}: ${accessPaths(plan)}`;
}

/** Part 2: two numbers with seeded chats, their list timed over HTTP. */
async function chatList(fleet: Fleet, client: Client, sql: pg.Client, userId: string): Promise<void> {
	const targets: ListTarget[] = [];
	for (const [label, chats, prefix] of [[`${BIG_CHATS} chats`, BIG_CHATS, '6019'], [`${SMALL_CHATS} chats`, SMALL_CHATS, '6018']] as const) {
		const created = await client.post<DeviceDto>('/api/devices', { name: `Inbox ${label}` });
		if (created.status !== 201) throw new Error(`POST /api/devices answered ${created.status}: ${JSON.stringify(created.body)}`);
		const started = performance.now();
		await seedChats(sql, userId, created.body.id, chats, prefix);
		log(`seeded ${chats} chats (${chats * SEEDED_MESSAGES_PER_CHAT} messages) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
		targets.push({ label, deviceId: created.body.id, chats });
	}
	const { rows } = await sql.query<{ chats: number; messages: number }>('select (select count(*) from chats)::int as chats, (select count(*) from chat_messages)::int as messages');
	log(`the database holds ${rows[0].chats} chats and ${rows[0].messages} chat messages in all`);

	const cpu = cpuSince(fleet);
	const times = await timeQueries(client, targets);
	const shares = cpu();
	assertRunning(fleet);
	for (const [key, values] of times) {
		const s = summary(values);
		console.log(`inbox chat list: ${key}: median ${ms(s.p50)}, p95 ${ms(s.p95)}, max ${ms(s.max)} (${values.length} GETs over HTTP)`);
	}
	console.log(`inbox chat list: ${QUERY_RUNS} rounds after ${QUERY_WARMUP} warm-up rounds, one GET at a time; ${formatCores(shares)}`);

	const plans: string[] = [];
	for (const target of targets) {
		const lastOffset = (Math.ceil(target.chats / PAGE_SIZE) - 1) * PAGE_SIZE;
		plans.push(await explain(sql, target, 'first page', { limit: PAGE_SIZE + 1, offset: 0 }));
		plans.push(await explain(sql, target, 'last page', { limit: PAGE_SIZE + 1, offset: lastOffset }));
		plans.push(await explain(sql, target, 'search by name', { q: seededName(searchedOf(target)), limit: PAGE_SIZE + 1, offset: 0 }));
	}
	for (const plan of plans) console.log(`inbox chat list, EXPLAIN ANALYZE, ${plan}`);
}

async function main(fleet: Fleet): Promise<void> {
	log(`${DEVICES} numbers × ${CONTACTS_PER_DEVICE} contacts × ${TEXTS_PER_CONTACT} texts = ${MESSAGES} messages, then ${BIG_CHATS} and ${SMALL_CHATS} chats; ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 20)} MiB, Node ${process.version}`);
	fleet.double = await startDouble();
	fleet.db = await postgresDatabase();
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	await startFleetcast(fleet, SERVICES, nodeEnv(fleet, port), url);

	const client = new Client(url);
	const user = await client.register();
	const linking = await LiveSocket.open(url, { cookie: client.cookie! });
	const linkStarted = performance.now();
	const devices = await linkDevices(client, linking, fleet.double.control, DEVICES, 'Inbox');
	linking.close();
	log(`${DEVICES} numbers linked in ${((performance.now() - linkStarted) / 1000).toFixed(1)} s`);

	const sql = new pg.Client({ connectionString: fleet.db.databaseUrl });
	sql.on('error', () => undefined); // the database is dropped under it on Ctrl-C
	await sql.connect();
	try {
		const broken = await inbound(fleet, client, url, sql, devices);
		await chatList(fleet, client, sql, user.id);
		if (broken.length) throw new Error(`${broken.join('; ')} (see the inbound line above)`);
	} finally {
		await sql.end().catch(() => undefined);
	}
}

await runFleetBench({ dir: tempDir(`fc-${LABEL}-`), nodes: [] }, LABEL, main);
