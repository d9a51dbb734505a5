/**
 * One user with 1,000 open WebSockets: how long from sending PATCH /api/me/settings until the
 * last socket has the user.settings-changed frame. 10 measured rounds after 2 warm-up rounds,
 * against a node in its own process. `--postgres` uses a fresh database on the real PostgreSQL.
 *
 *   npx tsx bench/ws-fanout.ts [--postgres]
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Client } from '../test/helpers/http.ts';
import { cpuMeter, formatCpu } from './cpu.ts';
import { databaseFromArgs, startServer, stopOnInterrupt } from './server.ts';

const SOCKETS = 1_000;
const OPEN_BATCH = 50;
const WARMUP_ROUNDS = 2;
/** PATCHes sent before any timing, so the no-socket figure is not a cold start. */
const PATCH_WARMUP = 20;
const ROUNDS = 10;
const ZONES = ['Europe/Lisbon', 'Asia/Tokyo'];
const ROUND_TIMEOUT_MS = 10_000;
const TARGET_MS = 50;

interface Round {
	patchMs: number;
	lastSocketMs: number;
	firstSocketMs: number;
}

/** Every socket of the user, counting the settings frames of the round in progress. */
class Fleet {
	private readonly sockets: WebSocket[] = [];
	private expectedZone = '';
	private received = 0;
	private first = 0;
	private onAll?: (last: number) => void;
	closed = 0;

	constructor(private readonly wsUrl: string, private readonly cookie: string) {}

	async open(count: number): Promise<void> {
		for (let i = 0; i < count; i += OPEN_BATCH) {
			await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, count - i) }, () => this.openOne()));
		}
	}

	private openOne(): Promise<void> {
		const ws = new WebSocket(this.wsUrl, { headers: { cookie: this.cookie } });
		this.sockets.push(ws);
		return new Promise((resolve, reject) => {
			ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
			ws.once('error', reject);
			ws.once('close', () => this.closed++);
			ws.on('message', data => {
				const frame = JSON.parse(String(data)) as { type: string; payload?: { timeZone?: string } };
				if (frame.type === 'hello') return resolve();
				if (frame.type === 'user.settings-changed' && frame.payload?.timeZone === this.expectedZone) this.arrived();
			});
		});
	}

	private arrived(): void {
		const now = performance.now();
		if (this.received++ === 0) this.first = now;
		if (this.received === this.sockets.length) this.onAll?.(now);
	}

	/** Arms the counters for a change to `zone`; resolves with the first and last arrival times. */
	expect(zone: string): Promise<{ first: number; last: number }> {
		this.expectedZone = zone;
		this.received = 0;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error(`only ${this.received}/${this.sockets.length} sockets got the frame within ${ROUND_TIMEOUT_MS} ms`)),
				ROUND_TIMEOUT_MS,
			);
			this.onAll = last => (clearTimeout(timer), resolve({ first: this.first, last }));
		});
	}

	closeAll(): void {
		for (const ws of this.sockets) ws.terminate();
	}
}

async function patchZone(client: Client, zone: string): Promise<number> {
	const start = performance.now();
	const res = await client.patch('/api/me/settings', { timeZone: zone });
	if (res.status !== 200) throw new Error(`PATCH /api/me/settings answered ${res.status} ${JSON.stringify(res.body)}`);
	return performance.now() - start;
}

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

const database = databaseFromArgs();
const server = await startServer(database);
stopOnInterrupt(server);
let fleet: Fleet | undefined;
try {
	const client = new Client(server.url);
	await client.register();

	// The PATCH with nobody listening: the request/database part of each round.
	const alone: number[] = [];
	for (let i = 0; i < PATCH_WARMUP + ROUNDS; i++) alone.push(await patchZone(client, ZONES[i % 2]));
	const patchAlone = alone.slice(PATCH_WARMUP);

	fleet = new Fleet(`${server.url.replace(/^http/, 'ws')}/ws`, client.cookie!);
	const openStart = performance.now();
	await fleet.open(SOCKETS);
	const openMs = performance.now() - openStart;

	const rounds: Round[] = [];
	const cpu = cpuMeter(server);
	for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
		// Start from the other zone than the previous round so every PATCH is a real change.
		const zone = ZONES[(i + 1) % 2];
		const arrivals = fleet.expect(zone);
		const start = performance.now();
		const patchMs = await patchZone(client, zone);
		const { first, last } = await arrivals;
		if (i >= WARMUP_ROUNDS) rounds.push({ patchMs, firstSocketMs: first - start, lastSocketMs: last - start });
	}
	const share = cpu();
	if (fleet.closed > 0) throw new Error(`${fleet.closed} sockets were closed during the run`);

	const last = rounds.map(r => r.lastSocketMs);
	const patch = rounds.map(r => r.patchMs);
	const first = rounds.map(r => r.firstSocketMs);
	console.log(
		`ws-fanout [${database}] ${SOCKETS} sockets (opened in ${ms(openMs)}), ${ROUNDS} rounds: ` +
			`time to last socket median ${ms(median(last))} max ${ms(Math.max(...last))} (target < ${TARGET_MS} ms); ` +
			`first socket median ${ms(median(first))}; ` +
			`PATCH round-trip during fan-out median ${ms(median(patch))} max ${ms(Math.max(...patch))}, ` +
			`with no sockets median ${ms(median(patchAlone))} max ${ms(Math.max(...patchAlone))}`,
	);
	console.log(`  per round, to last socket (ms): ${last.map(x => x.toFixed(1)).join(' ')}; during the rounds ${formatCpu(share)}`);
} finally {
	fleet?.closeAll();
	const code = await server.stop();
	const log = server.output().trim();
	if (log) console.error(`server output:\n${log}`);
	if (code !== 0) console.error(`server exited with ${code}`);
}
