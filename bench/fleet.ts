/**
 * What the benchmarks over the WhatsApp double share: a Fleetcast node and the double, each in its
 * own process (so each one's CPU and memory are its own), a fresh PostgreSQL database, devices
 * linked by QR through the REST API, and a clean-up that keeps the logs of a failed run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeviceDto } from '../services/devices/devices.params.ts';
import type { TestDatabase } from '../test/helpers/databases.ts';
import type { Client, LiveSocket } from '../test/helpers/http.ts';
import { freePort, waitForReady, type NodeProcess } from '../test/helpers/processes.ts';
import { DoubleControl } from '../services/whatsapp-double/control-client.ts';
import { cpuMeter, cpuSecondsOf, processCpuSeconds } from './cpu.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Links run this many at a time, as in bench/double-link.ts: each generates and uploads 812 pre-keys. */
export const LINK_CONCURRENCY = 20;
const LINK_TIMEOUT_MS = 180_000;

export const log = (message: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/**
 * A process of the project's Node with its output kept. (test/helpers' spawnNode cannot be used
 * for the node: it starts it without --experimental-async-context-frame, which `npm start` passes
 * and NODE_OPTIONS does not accept.) In its own process group, so a Ctrl-C reaches only the
 * bench, which then stops it (instead of the run failing half-stopped first).
 */
function spawnProcess(args: string[], env: Record<string, string> = {}): NodeProcess {
	const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
	let output = '';
	child.stdout!.on('data', d => (output += d));
	child.stderr!.on('data', d => (output += d));
	const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	return {
		child,
		output: () => output,
		async stop(signal = 'SIGTERM') {
			if (child.exitCode === null && child.signalCode === null) child.kill(signal);
			return exited;
		},
	};
}

/** A Fleetcast node as `npm start` starts one: the Moleculer runner under tsx with --experimental-async-context-frame. */
function spawnFleetcast(services: string[], env: Record<string, string>): NodeProcess {
	// SERVER_CPU_PROF=<dir> writes a V8 CPU profile of each node there when it stops (as in bench/server.ts).
	if (process.env.SERVER_CPU_PROF) env = { ...env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.SERVER_CPU_PROF}` };
	const runner = path.join(ROOT, 'node_modules/moleculer/bin/moleculer-runner.mjs');
	const files = services.map(s => `services/${s}/${s}.service.ts`);
	return spawnProcess(['--experimental-async-context-frame', '--import', 'tsx', runner, '--config', 'moleculer.config.ts', ...files], env);
}

export interface DoubleProcess {
	process: NodeProcess;
	url: string;
	control: DoubleControl;
}

/** The double in its own process, from its CLI; with a state file when `statePath` is given. */
export async function startDouble(statePath?: string): Promise<DoubleProcess> {
	const port = await freePort();
	const args = ['--import', 'tsx', 'services/whatsapp-double/cli.ts', '--port', String(port), ...(statePath ? ['--state', statePath] : [])];
	const double = spawnProcess(args);
	const url = `http://127.0.0.1:${port}`;
	await waitForReady(`${url}/control/info`, double);
	return { process: double, url, control: new DoubleControl(url) };
}

export interface Fleet {
	/** A temporary folder, removed at the end. */
	dir: string;
	db?: TestDatabase;
	double?: DoubleProcess;
	/** The node running now. */
	node?: NodeProcess;
	/** Every node started, for their logs. */
	nodes: NodeProcess[];
	/** Set by the first cleanUp: a Ctrl-C and the failure it causes in the run clean up once. */
	cleaning?: Promise<void>;
}

/** The environment of a node on its own, on the fleet's database and double, listening at `port`. */
/** The token the benchmarks read `/metrics` with. */
export const BENCH_METRICS_TOKEN = 'bench-metrics';

export function nodeEnv(fleet: Fleet, port: number): Record<string, string> {
	return {
		PORT: String(port),
		HOST: '127.0.0.1',
		DATA_DIR: fleet.db!.dataDir,
		DATABASE_URL: fleet.db!.databaseUrl!,
		WHATSAPP_DOUBLE_URL: fleet.double!.url,
		LOG_LEVEL: 'warn',
		METRICS_TOKEN: BENCH_METRICS_TOKEN,
		// One node on its own: no cluster, no shared cache or limiter even if the shell sets them.
		TRANSPORTER: '',
		REDIS_URL: '',
	};
}

/** Starts a node with these services and waits for its `/readyz` at `url`. */
export async function startFleetcast(fleet: Fleet, services: string[], env: Record<string, string>, url: string): Promise<{ spawnedAt: number; readyAt: number }> {
	const spawnedAt = Date.now();
	fleet.node = spawnFleetcast(services, env);
	fleet.nodes.push(fleet.node);
	await waitForReady(`${url}/readyz`, fleet.node, 120_000);
	return { spawnedAt, readyAt: Date.now() };
}

/** Throws when the node or the double has ended, so that a run does not wait for what can no longer happen. */
export function assertRunning(fleet: Fleet): void {
	for (const [name, proc] of [['node', fleet.node], ['double', fleet.double?.process]] as const) {
		const ended = proc && (proc.child.exitCode ?? proc.child.signalCode);
		if (ended !== undefined && ended !== null) throw new Error(`the ${name} ended (${ended}); its last lines:\n${proc!.output().split('\n').slice(-20).join('\n')}`);
	}
}

/** The warnings and errors in a node's log (Moleculer's short format: `[time] WARN  node/SERVICE: …`). */
export function logProblems(output: string): { warnings: number; errors: number; first?: string } {
	const lines = output.replace(/\x1b\[[\d;]*m/g, '').split('\n');
	const warnings = lines.filter(l => /\bWARN\b/.test(l));
	const errors = lines.filter(l => /\b(ERROR|FATAL)\b/.test(l));
	return { warnings: warnings.length, errors: errors.length, first: errors[0] ?? warnings[0] };
}

/** Runs `task(0…count-1)`, `concurrency` at a time. */
export async function inPool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < count) await task(next++);
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export interface LinkedDevice {
	id: string;
	/** The number of the double's account that scanned the QR. */
	phone: string;
}

/** Creates one device, pairs it by QR, has a new account of the double scan it, and waits until Fleetcast says it is online. */
async function linkDevice(client: Client, live: LiveSocket, control: DoubleControl, name: string): Promise<LinkedDevice> {
	const created = await client.post<DeviceDto>('/api/devices', { name });
	if (created.status !== 201) throw new Error(`POST /api/devices answered ${created.status}: ${JSON.stringify(created.body)}`);
	const id = created.body.id;
	const pairing = await client.post<{ qr: string | null }>(`/api/devices/${id}/pair`, { method: 'qr' });
	if (pairing.status !== 200 || !pairing.body.qr) throw new Error(`pairing ${id} gave no QR: ${pairing.status} ${JSON.stringify(pairing.body)}`);
	const account = await control.addAccount();
	await account.scan(pairing.body.qr);
	await live.next(f => f.type === 'device.status-changed' && f.payload?.deviceId === id && f.payload.status === 'online', LINK_TIMEOUT_MS);
	return { id, phone: account.phone };
}

/** Links `count` devices named "<prefix> 1…count", LINK_CONCURRENCY at a time; `live` is the user's WebSocket. */
export async function linkDevices(client: Client, live: LiveSocket, control: DoubleControl, count: number, prefix = 'Fleet'): Promise<LinkedDevice[]> {
	const started = Date.now();
	const devices: LinkedDevice[] = new Array(count);
	let linked = 0;
	await inPool(count, LINK_CONCURRENCY, async i => {
		devices[i] = await linkDevice(client, live, control, `${prefix} ${i + 1}`);
		if (++linked % 100 === 0 || linked === count) log(`linked ${linked}/${count} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
	});
	return devices;
}

export interface FleetCores {
	/** Average cores busy over the interval, rounded to 0.01. */
	node: number;
	double: number;
	/** Every `postgres` process on this machine (the server, its backends, its background workers). */
	postgres: number;
	bench: number;
	others: number;
	/** CPU seconds used in the interval, unrounded. */
	cpuSeconds: { node: number; double: number; postgres: number };
}

/** Starts counting CPU; the result gives the cores used since by the node (whichever runs), the double, PostgreSQL, this bench and the rest of the machine. */
export function cpuSince(fleet: Fleet): () => FleetCores {
	const pidSeconds = (proc?: NodeProcess) => (proc?.child.pid && proc.child.exitCode === null ? processCpuSeconds(proc.child.pid) : 0);
	const started = Date.now();
	const double = pidSeconds(fleet.double?.process);
	const postgres = cpuSecondsOf('postgres');
	const meter = cpuMeter({ cpuSeconds: () => pidSeconds(fleet.node) });
	return () => {
		const { server, bench, others } = meter();
		const elapsed = (Date.now() - started) / 1000;
		const doubleSeconds = pidSeconds(fleet.double?.process) - double;
		// A backend that ended in between is not counted here: its time stays with "other processes".
		let postgresSeconds = 0;
		for (const [pid, seconds] of cpuSecondsOf('postgres')) postgresSeconds += seconds - (postgres.get(pid) ?? 0);
		const [doubleCores, postgresCores] = [doubleSeconds / elapsed, postgresSeconds / elapsed];
		const round = (x: number) => Number(x.toFixed(2));
		return {
			node: round(server),
			double: round(doubleCores),
			postgres: round(postgresCores),
			bench: round(bench),
			others: round(Math.max(0, others - doubleCores - postgresCores)),
			cpuSeconds: { node: server * elapsed, double: doubleSeconds, postgres: postgresSeconds },
		};
	};
}

export const formatCores = (c: FleetCores) => `CPU cores: node ${c.node}, double ${c.double}, postgres ${c.postgres}, bench ${c.bench}, other processes ${c.others}`;

/**
 * Stops the node and the double (SIGKILL after a minute), drops the database and removes the
 * folder. After a failure the logs are first saved to `<tmp>/<label>-<time>/`. Only the first
 * call does it; later ones wait for it.
 */
export function cleanUp(fleet: Fleet, failed: boolean, label: string): Promise<void> {
	fleet.cleaning ??= cleanUpOnce(fleet, failed, label);
	return fleet.cleaning;
}

async function cleanUpOnce(fleet: Fleet, failed: boolean, label: string): Promise<void> {
	if (failed) {
		const saved = path.join(os.tmpdir(), `${label}-${Date.now()}`);
		fs.mkdirSync(saved, { recursive: true });
		fleet.nodes.forEach((node, i) => fs.writeFileSync(path.join(saved, `node-${i + 1}.log`), node.output()));
		if (fleet.double) fs.writeFileSync(path.join(saved, 'double.log'), fleet.double.process.output());
		const tail = (fleet.nodes.at(-1)?.output() ?? '').split('\n').slice(-40).join('\n');
		console.error(`node output (last lines; all logs in ${saved}):\n${tail}`);
	}
	const kill = async (proc?: NodeProcess) => {
		if (!proc) return;
		const timer = setTimeout(() => proc.child.kill('SIGKILL'), 60_000);
		await proc.stop('SIGTERM');
		clearTimeout(timer);
	};
	await kill(fleet.node).catch(() => undefined);
	await kill(fleet.double?.process).catch(() => undefined);
	await fleet.db?.drop().catch(err => console.error(`dropping the database: ${err.message}`));
	fs.rmSync(fleet.dir, { recursive: true, force: true });
}

/** Cleans up on Ctrl-C or SIGTERM too, then exits; a second signal during the clean-up does not cut it short. */
export function cleanUpOnInterrupt(fleet: Fleet, label: string): void {
	for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void cleanUp(fleet, false, label).finally(() => process.exit(130)));
	// A crash outside main (an error in a listener, stdout closed by `| head`) still stops the processes and drops the database.
	process.on('uncaughtException', err => {
		console.error(`FAILED: ${err.stack ?? err}`);
		void cleanUp(fleet, true, label).finally(() => process.exit(1));
	});
}

/** Runs a bench's `main` on a fleet of its own, cleans up whatever happens, and exits 1 if it failed. */
export async function runFleetBench(fleet: Fleet, label: string, main: (fleet: Fleet) => Promise<void>): Promise<never> {
	cleanUpOnInterrupt(fleet, label);
	let failed = false;
	try {
		await main(fleet);
	} catch (err) {
		// After a Ctrl-C the run fails as its processes go: that is no failure to report.
		failed = !fleet.cleaning;
		if (failed) console.error(`FAILED: ${(err as Error).stack ?? err}`);
	} finally {
		await cleanUp(fleet, failed, label);
	}
	process.exit(failed ? 1 : 0);
}
