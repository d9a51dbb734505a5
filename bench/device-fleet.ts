/**
 * N devices linked through Fleetcast's REST API to a WhatsApp double, then Fleetcast restarted
 * (SIGTERM, start again): how long until all N are online again, how many devices were connecting
 * at once, and the node's memory per linked device.
 *
 * The double runs in its own process (its CLI, with a state file) and the Fleetcast node in
 * another, started as `npm start` starts it (the Moleculer runner under tsx with
 * --experimental-async-context-frame; gateway, users and devices; PostgreSQL in a fresh database),
 * so the node's memory is Fleetcast's alone.
 *
 *   npx tsx bench/device-fleet.ts [N=1000] [--concurrency=50] [--jitter=2000]
 *
 * --concurrency and --jitter set DEVICE_CONNECT_CONCURRENCY and DEVICE_START_JITTER_MS; without
 * them the node runs with its defaults (or what the environment says), and the values are printed.
 * SERVER_CPU_PROF=<dir> writes a V8 CPU profile of each node there. On failure the logs of the
 * nodes and the double are kept in a folder under the system's temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { readEnv } from '../mixins/env-settings.mixin.ts';
import type { DeviceDto } from '../services/devices/devices.params.ts';
import { createDatabase, tempDir } from '../test/helpers/databases.ts';
import { Client, LiveSocket } from '../test/helpers/http.ts';
import { freePort, type NodeProcess } from '../test/helpers/processes.ts';
import type { LoggedEvent } from '../services/whatsapp-double/events.ts';
import { BENCH_METRICS_TOKEN, cleanUp, cleanUpOnInterrupt, cpuSince, formatCores, LINK_CONCURRENCY, linkDevices, log, logProblems, nodeEnv, startDouble, startFleetcast, type Fleet } from './fleet.ts';
const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { concurrency: { type: 'string' }, jitter: { type: 'string' } } });
const N = Number(positionals[0] ?? 1000);
if (!Number.isInteger(N) || N < 1) throw new Error(`N must be a positive integer, got ${positionals[0]}`);
const defaults = readEnv();
const CONNECT_CONCURRENCY = flags.concurrency === undefined ? defaults.deviceConnectConcurrency : Number(flags.concurrency);
const START_JITTER_MS = flags.jitter === undefined ? defaults.deviceStartJitterMs : Number(flags.jitter);
for (const [flag, value] of [['--concurrency', CONNECT_CONCURRENCY], ['--jitter', START_JITTER_MS]] as const) {
	if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} must be a non-negative integer`);
}

const SERVICES = ['gateway', 'users', 'devices'];
const RESTART_TIMEOUT_MS = 20 * 60_000;
/** Memory is sampled this long, every SAMPLE_EVERY_MS, after SETTLE_MS of quiet. */
const SETTLE_MS = 10_000;
const SAMPLE_MS = 20_000;
const SAMPLE_EVERY_MS = 2_000;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const seconds = (ms: number) => Number((ms / 1000).toFixed(2));
const mib = (bytes: number) => Number((bytes / 1024 / 1024).toFixed(1));
const kib = (bytes: number) => Math.round(bytes / 1024);
const median = (xs: number[]) => {
	const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b);
	return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : Number.NaN;
};

/** Resident memory of a process from /proc (Linux): now, and the most it ever had. */
function residentBytes(pid: number): { rss: number; peak: number } {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
	return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Values of the node's Prometheus text, by metric name (label sets summed). */
async function readMetrics(url: string): Promise<Map<string, number>> {
	const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } })).text();
	const values = new Map<string, number>();
	for (const line of text.split('\n')) {
		const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
		if (match) values.set(match[1], (values.get(match[1]) ?? 0) + Number(match[2]));
	}
	return values;
}

/**
 * Opens the inspector of a running node: SIGUSR1, which Node answers by listening on
 * 127.0.0.1:9229 and printing the address on stderr. Undefined when it does not (the port is taken).
 */
async function openInspector(node: NodeProcess): Promise<string | undefined> {
	const from = node.output().length;
	process.kill(node.child.pid!, 'SIGUSR1');
	for (const until = Date.now() + 5_000; Date.now() < until; await sleep(50)) {
		const address = /Debugger listening on (ws:\/\/\S+)/.exec(node.output().slice(from))?.[1];
		if (address) return address;
	}
	return undefined;
}

/** Through the node's inspector: a full garbage collection, then process.memoryUsage(). */
async function memoryAfterGc(inspectorUrl: string): Promise<NodeJS.MemoryUsage> {
	const socket = new WebSocket(inspectorUrl);
	await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
	const replies = new Map<number, (result: any) => void>();
	socket.on('message', data => {
		const reply = JSON.parse(String(data)) as { id?: number; result?: unknown };
		if (reply.id !== undefined) replies.get(reply.id)?.(reply.result);
	});
	const send = (id: number, method: string, params: object = {}) =>
		new Promise<any>(resolve => {
			replies.set(id, resolve);
			socket.send(JSON.stringify({ id, method, params }));
		});
	try {
		await send(1, 'HeapProfiler.collectGarbage');
		const { result } = await send(2, 'Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
		return JSON.parse(result.value) as NodeJS.MemoryUsage;
	} finally {
		socket.close();
	}
}

interface Memory {
	/** Median of the RSS samples, as the node ran (no forced GC). */
	rss: number;
	/** Medians of the V8 heap, used and reserved, from /metrics as the node ran (Moleculer refreshes it every 5 s). */
	heapUsedAsRan: number;
	heapTotalAsRan: number;
	externalAsRan: number;
	/** Just after a full GC (through the inspector): heap used and reserved, external memory (Buffers, ArrayBuffers), RSS. */
	afterGc?: { heapUsed: number; heapTotal: number; external: number; rss: number };
}

/** RSS from /proc and the heap from /metrics every SAMPLE_EVERY_MS for SAMPLE_MS (medians), then a full GC and a reading through the inspector. */
async function measureMemory(url: string, pid: number, inspectorUrl: string | undefined): Promise<Memory> {
	const samples: { rss: number; metrics: Map<string, number> }[] = [];
	for (const until = Date.now() + SAMPLE_MS; Date.now() < until; await sleep(SAMPLE_EVERY_MS)) {
		samples.push({ rss: residentBytes(pid).rss, metrics: await readMetrics(url) });
	}
	const metric = (name: string) => median(samples.map(s => s.metrics.get(name) ?? Number.NaN));
	return {
		rss: median(samples.map(s => s.rss)),
		heapUsedAsRan: metric('process_memory_heap_size_used'),
		heapTotalAsRan: metric('process_memory_heap_size_total'),
		externalAsRan: metric('process_memory_external'),
		afterGc: inspectorUrl ? await memoryAfterGc(inspectorUrl) : undefined,
	};
}

function describeMemory(m: Memory): string {
	const asRan = `RSS ${mib(m.rss)} MiB, V8 heap ${mib(m.heapUsedAsRan)} MiB used of ${mib(m.heapTotalAsRan)}, external ${mib(m.externalAsRan)} MiB`;
	const gc = m.afterGc;
	return gc ? `${asRan}; after a full GC: RSS ${mib(gc.rss)} MiB, heap ${mib(gc.heapUsed)} MiB used of ${mib(gc.heapTotal)}, external ${mib(gc.external)} MiB` : `${asRan} (no inspector: no GC reading)`;
}

async function listDevices(client: Client): Promise<DeviceDto[]> {
	const { status, body } = await client.get<DeviceDto[]>('/api/devices');
	if (status !== 200) throw new Error(`GET /api/devices answered ${status}: ${JSON.stringify(body)}`);
	return body;
}

function countBy(devices: DeviceDto[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const device of devices) counts[device.status] = (counts[device.status] ?? 0) + 1;
	return counts;
}

/** Polls until every device shows `online` in the API (returns them), or fails after `timeoutMs`. */
async function waitAllOnline(client: Client, timeoutMs: number, everyMs = 500): Promise<{ devices: DeviceDto[]; seenAt: number }> {
	const deadline = Date.now() + timeoutMs;
	let last: DeviceDto[] = [];
	for (;;) {
		last = await listDevices(client);
		if (last.length === N && last.every(d => d.status === 'online')) return { devices: last, seenAt: Date.now() };
		if (Date.now() > deadline) throw new Error(`not all ${N} devices online within ${timeoutMs / 1000} s: ${JSON.stringify(countBy(last))}`);
		await sleep(everyMs);
	}
}

async function main(fleet: Fleet): Promise<void> {
	const cores = os.cpus().length;
	log(`N=${N}; DEVICE_CONNECT_CONCURRENCY=${CONNECT_CONCURRENCY}, DEVICE_START_JITTER_MS=${START_JITTER_MS}; ${cores} cores, ${mib(os.totalmem()).toFixed(0)} MiB, Node ${process.version}`);
	fleet.double = await startDouble(path.join(fleet.dir, 'double-state.json'));
	const { control } = fleet.double;
	fleet.db = await createDatabase('postgres');
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const env = { ...nodeEnv(fleet, port), DEVICE_CONNECT_CONCURRENCY: String(CONNECT_CONCURRENCY), DEVICE_START_JITTER_MS: String(START_JITTER_MS) };

	// 1. Start, measure the idle node, link N devices.
	const first = await startFleetcast(fleet, SERVICES, env, url);
	log(`node ready after ${seconds(first.readyAt - first.spawnedAt)} s; measuring it idle`);
	const firstInspector = await openInspector(fleet.node!);
	if (!firstInspector) log('could not open the node\'s inspector: heap figures come from /metrics, without a GC');
	await sleep(SETTLE_MS);
	const idle = await measureMemory(url, fleet.node!.child.pid!, firstInspector);
	log(`idle: ${describeMemory(idle)}`);

	const client = new Client(url);
	await client.register();
	const live = await LiveSocket.open(url, { cookie: client.cookie! });
	const linkStarted = Date.now();
	const linkCpu = cpuSince(fleet);
	await linkDevices(client, live, control, N);
	const linkMs = Date.now() - linkStarted;
	const linkCores = linkCpu();
	live.close();
	await waitAllOnline(client, 60_000);
	const onlineInDouble = (await control.call<string[]>('GET', '/control/online')).length;
	if (onlineInDouble !== N) throw new Error(`the double has ${onlineInDouble} devices online, expected ${N}`);
	log(`all ${N} linked and online in ${seconds(linkMs)} s; measuring memory`);
	await sleep(SETTLE_MS);
	const linked = await measureMemory(url, fleet.node!.child.pid!, firstInspector);
	const linkedPeakRss = residentBytes(fleet.node!.child.pid!).peak;
	log(`with ${N} linked: ${describeMemory(linked)}`);

	// 2. Stop gracefully (sockets closed, leases released), then check the double saw every socket go.
	const stopStarted = Date.now();
	const exitCode = await fleet.node!.stop('SIGTERM');
	const stopMs = Date.now() - stopStarted;
	fleet.node = undefined;
	if (exitCode !== 0) throw new Error(`the node exited with ${exitCode} on SIGTERM`);
	for (const until = Date.now() + 30_000; (await control.call<string[]>('GET', '/control/online')).length > 0; await sleep(200)) {
		if (Date.now() > until) throw new Error('the double still has sockets online 30 s after the node stopped');
	}
	log(`node stopped in ${seconds(stopMs)} s; restarting`);

	// 3. Restart and watch: /metrics every 200 ms, the API every 500 ms once ready, the double's events every second.
	const conflictsBefore = (await control.conflicts()).length;
	// The double's log keeps its last 10,000–20,000 events: read it every second so none is missed.
	let since = (await control.events()).at(-1)?.seq ?? 0;
	const restartEvents: LoggedEvent[] = [];
	let watching = true;
	const connectingSamples: { at: number; connecting: number }[] = [];
	const metricsWatch = (async () => {
		while (watching) {
			const metrics = await readMetrics(url).catch(() => undefined);
			const connecting = metrics?.get('fleetcast_devices_connecting');
			if (connecting !== undefined) connectingSamples.push({ at: Date.now(), connecting });
			await sleep(200);
		}
	})();
	const eventsWatch = (async () => {
		while (watching) {
			const events = await control.events(undefined, since).catch(() => []); // tried again next time
			restartEvents.push(...events);
			since = events.at(-1)?.seq ?? since;
			await sleep(1_000);
		}
	})();
	const restartCpu = cpuSince(fleet); // fleet.node is unset: the new node counts from its start
	const second = await startFleetcast(fleet, SERVICES, env, url);
	const nodePid = fleet.node!.child.pid!;
	log(`node ready after ${seconds(second.readyAt - second.spawnedAt)} s; waiting for all ${N} online`);
	const online = await waitAllOnline(client, RESTART_TIMEOUT_MS);
	const restartCores = restartCpu();
	const restartPeakRss = residentBytes(nodePid).peak;
	await sleep(1_500); // the node refreshes its gauges every second
	watching = false;
	await Promise.all([metricsWatch, eventsWatch]);
	restartEvents.push(...(await control.events(undefined, since)));
	const metrics = await readMetrics(url);
	const conflicts = (await control.conflicts()).length - conflictsBefore;

	// The API says online once a device's status row is written; last_seen_at is when (database clock, same machine).
	const onlineAt = online.devices.map(d => Date.parse(d.lastSeenAt!)).sort((a, b) => a - b);
	const lastOnlineAt = onlineAt.at(-1)!;
	const loggedIn = restartEvents.filter(e => e.type === 'device.logged-in');
	const distinct = new Set(loggedIn.map(e => (e as { device: string }).device));
	const lastLoginAt = Math.max(...loggedIn.map(e => e.at));
	const restart = {
		readySeconds: seconds(second.readyAt - second.spawnedAt),
		allOnlineSeconds: seconds(lastOnlineAt - second.spawnedAt),
		allOnlineAfterReadySeconds: seconds(lastOnlineAt - second.readyAt),
		halfOnlineSeconds: seconds(median(onlineAt) - second.spawnedAt),
		seenByPollSeconds: seconds(online.seenAt - second.spawnedAt),
		allLoggedInAtDoubleSeconds: seconds(lastLoginAt - second.spawnedAt),
		firstLoginSeconds: seconds(Math.min(...loggedIn.map(e => e.at)) - second.spawnedAt),
		peakConnecting: metrics.get('fleetcast_devices_connecting_peak'),
		peakConnectingSampled: Math.max(0, ...connectingSamples.map(s => s.connecting)),
		held: metrics.get('fleetcast_devices_held'),
		logins: loggedIn.length,
		devicesLoggedIn: distinct.size,
		socketsOpened: restartEvents.filter(e => e.type === 'socket.opened').length,
		loginsRefused: restartEvents.filter(e => e.type === 'login.refused').length,
		qrsIssued: restartEvents.filter(e => e.type === 'qr.refs-issued').length,
		conflicts,
		cpuCores: restartCores,
		peakRssMiB: mib(restartPeakRss),
	};
	log(`restart: all ${N} online ${restart.allOnlineSeconds} s after spawn (${restart.allOnlineAfterReadySeconds} s after ready); peak connecting ${restart.peakConnecting}`);
	if (distinct.size !== N) throw new Error(`the double saw ${distinct.size} of ${N} devices log in after the restart`);

	// Opened only now, so that the restart ran as it would in production.
	const secondInspector = await openInspector(fleet.node!);
	await sleep(SETTLE_MS);
	const restarted = await measureMemory(url, nodePid, secondInspector);
	log(`after restart: ${describeMemory(restarted)}`);

	/** Per device: the RSS as the node ran, in total and above the idle node; above idle after a GC, in parts that add up to the RSS. */
	const perDevice = (m: Memory) => {
		const gc = m.afterGc && idle.afterGc ? { now: m.afterGc, idle: idle.afterGc } : undefined;
		const above = (of: (x: NonNullable<Memory['afterGc']>) => number) => (gc ? kib((of(gc.now) - of(gc.idle)) / N) : Number.NaN);
		return {
			rssKiB: kib(m.rss / N),
			rssAboveIdleKiB: kib((m.rss - idle.rss) / N),
			heapUsedAsRanAboveIdleKiB: kib((m.heapUsedAsRan - idle.heapUsedAsRan) / N),
			afterGc: {
				rssKiB: gc ? kib(gc.now.rss / N) : Number.NaN,
				rssAboveIdleKiB: above(x => x.rss),
				heapUsedKiB: above(x => x.heapUsed),
				heapFreeKiB: above(x => x.heapTotal - x.heapUsed),
				externalKiB: above(x => x.external),
				otherKiB: above(x => x.rss - x.heapTotal - x.external),
			},
		};
	};
	const memory = (m: Memory) => ({
		rssMiB: mib(m.rss),
		heapUsedAsRanMiB: mib(m.heapUsedAsRan),
		heapTotalAsRanMiB: mib(m.heapTotalAsRan),
		externalAsRanMiB: mib(m.externalAsRan),
		afterGc: m.afterGc && { rssMiB: mib(m.afterGc.rss), heapUsedMiB: mib(m.afterGc.heapUsed), heapTotalMiB: mib(m.afterGc.heapTotal), externalMiB: mib(m.afterGc.external) },
	});
	const result = {
		n: N,
		connectConcurrency: CONNECT_CONCURRENCY,
		startJitterMs: START_JITTER_MS,
		linkSeconds: seconds(linkMs),
		linkCpuCores: linkCores,
		/** The double rewrites this whole file after changes, so its work per link grows with the accounts it has. */
		doubleStateFileMiB: mib(fs.statSync(path.join(fleet.dir, 'double-state.json')).size),
		stopSeconds: seconds(stopMs),
		restart,
		memory: { idle: memory(idle), linked: memory(linked), afterRestart: memory(restarted), linkedPeakRssMiB: mib(linkedPeakRss) },
		perDevice: { linked: perDevice(linked), afterRestart: perDevice(restarted) },
		statusesAfterRestart: countBy(online.devices),
		nodeLogs: fleet.nodes.map(node => logProblems(node.output())),
		node: process.version,
		cores,
	};
	const p = result.perDevice;
	console.log(`linked ${N} devices through the API in ${result.linkSeconds} s (${LINK_CONCURRENCY} at a time; ${formatCores(linkCores)}; the double's state file is ${result.doubleStateFileMiB} MiB); SIGTERM took ${result.stopSeconds} s`);
	console.log(
		`restart (DEVICE_CONNECT_CONCURRENCY=${CONNECT_CONCURRENCY}, DEVICE_START_JITTER_MS=${START_JITTER_MS}): ready after ${restart.readySeconds} s, all ${N} online after ${restart.allOnlineSeconds} s (${restart.allOnlineAfterReadySeconds} s after ready; all logged in at the double after ${restart.allLoggedInAtDoubleSeconds} s)`,
	);
	console.log(
		`  peak connecting at once ${restart.peakConnecting} (node gauge; ${restart.peakConnectingSampled} in 200 ms samples); ${restart.logins} logins for ${restart.devicesLoggedIn} devices, ${restart.loginsRefused} refused, ${restart.qrsIssued} QRs, ${restart.conflicts} conflicts; ${formatCores(restart.cpuCores)}`,
	);
	console.log(`memory idle: ${describeMemory(idle)}`);
	for (const [label, m, d] of [['after linking', linked, p.linked], ['after restart', restarted, p.afterRestart]] as const) {
		console.log(`memory ${label}: ${describeMemory(m)}`);
		console.log(`  per device as it ran: RSS ${d.rssKiB} KiB, ${d.rssAboveIdleKiB} KiB above idle (heap used ${d.heapUsedAsRanAboveIdleKiB} KiB above idle)`);
		const g = d.afterGc;
		console.log(
			`  per device after a GC: RSS ${g.rssKiB} KiB, ${g.rssAboveIdleKiB} KiB above idle = heap used ${g.heapUsedKiB} + heap reserved but free ${g.heapFreeKiB} + external ${g.externalKiB} + the rest (code, stacks, native allocations) ${g.otherKiB}`,
		);
	}
	result.nodeLogs.forEach((l, i) => console.log(`node ${i + 1} logged ${l.warnings} warnings and ${l.errors} errors${l.first ? `; first: ${l.first.trim()}` : ''}`));
	console.log(JSON.stringify(result));
	if (restart.conflicts || restart.qrsIssued) throw new Error(`after the restart the double saw ${restart.conflicts} conflicts and issued ${restart.qrsIssued} QRs; there should be none`);
}

const fleet: Fleet = { dir: tempDir('fc-fleet-'), nodes: [] };
cleanUpOnInterrupt(fleet, 'device-fleet');
let failed = false;
try {
	await main(fleet);
} catch (err) {
	failed = true;
	console.error(`FAILED: ${(err as Error).stack ?? err}`);
} finally {
	await cleanUp(fleet, failed, 'device-fleet');
}
process.exit(failed ? 1 : 0);
