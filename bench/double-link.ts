/**
 * N Baileys clients (default settings) linked to one WhatsApp double (each its own account, QR
 * scanned by the fake phone), then all sockets ended and reconnected from their stored creds, once
 * per phase (all at once, or a given number at a time): how long until all are online again, and the memory per client with all N online (process RSS and V8 heap,
 * divided by N, in total and above the process before any client). Double and clients share the
 * process, as in the test suites.
 *
 *   npx tsx --expose-gc --experimental-async-context-frame bench/double-link.ts [N=100] [reconnect phases=all, e.g. 50,all]
 *
 * Without --experimental-async-context-frame, Node 22 implements AsyncLocalStorage with
 * async_hooks, and every Baileys socket creates one that stays registered after the socket ends:
 * each promise then costs time in proportion to all the sockets the process ever opened.
 */
import { performance } from 'node:perf_hooks';
import { DoubleClient, WhatsAppDouble, type DoubleEndpoint, type Phone } from '../services/whatsapp-double/index.ts';

const N = Number(process.argv[2] ?? 100);
/** Links run this many at a time: each one generates and uploads 812 pre-keys. */
const LINK_CONCURRENCY = 20;
/** One reconnect phase per entry: how many reconnects are in flight at once (`all`: every client together). */
const RECONNECT_CONCURRENCY = (process.argv[3] ?? 'all').split(',').map(c => (c === 'all' ? ('all' as const) : Number(c)));
const TIMEOUT_MS = 600_000;

const mib = (bytes: number) => bytes / 1024 / 1024;
const kib = (bytes: number) => (bytes / 1024).toFixed(0);

function memory() {
	globalThis.gc?.();
	const { rss, heapUsed, external } = process.memoryUsage();
	return { rss, heapUsed, external };
}

async function linkOne(endpoint: DoubleEndpoint, phone: Phone): Promise<DoubleClient> {
	const client = new DoubleClient(endpoint);
	client.connect();
	await phone.scan(await client.waitForQr(0, TIMEOUT_MS));
	await client.waitForOpen(0, TIMEOUT_MS);
	return client;
}

async function linkAll(endpoint: DoubleEndpoint, phones: Phone[]): Promise<DoubleClient[]> {
	const clients: DoubleClient[] = new Array(phones.length);
	const linkStarted = performance.now();
	let next = 0;
	const worker = async () => {
		while (next < phones.length) {
			const i = next++;
			clients[i] = await linkOne(endpoint, phones[i]);
			if ((i + 1) % 100 === 0) console.error(`linked ${i + 1}/${phones.length} after ${((performance.now() - linkStarted) / 1000).toFixed(0)} s`);
		}
	};
	await Promise.all(Array.from({ length: LINK_CONCURRENCY }, worker));
	return clients;
}

interface ReconnectPhase {
	concurrency: number | 'all';
	allOnlineSeconds: number;
	failedAttempts: number;
	failedAttemptCodes: (number | undefined)[];
	conflicts: number;
}

/**
 * End every socket, then reconnect every client from its stored creds, `concurrency` at a time (a
 * fleet limits how many devices reconnect at once); a client whose attempt fails (a timeout under
 * load) tries again at once, as a device actor would.
 */
async function reconnectAll(double: WhatsAppDouble, clients: DoubleClient[], concurrency: number | 'all'): Promise<ReconnectPhase> {
	await Promise.all(clients.map(client => client.end()));
	while (double.onlineDevices().length > 0) await new Promise(resolve => setTimeout(resolve, 50));
	const conflictsBefore = double.conflicts.length;
	const failures: (number | undefined)[] = [];
	let next = 0;
	const worker = async () => {
		while (next < clients.length) {
			const client = clients[next++];
			for (;;) {
				const [opened, closed] = [client.openCount, client.closes.length];
				client.connect();
				const outcome = await Promise.race([client.waitForOpen(opened, TIMEOUT_MS).then(() => 'open' as const), client.waitForClose(closed, TIMEOUT_MS)]);
				if (outcome === 'open') break;
				failures.push(outcome);
			}
		}
	};
	const started = performance.now();
	await Promise.all(Array.from({ length: concurrency === 'all' ? clients.length : concurrency }, worker));
	const allOnlineSeconds = Number(((performance.now() - started) / 1000).toFixed(2));
	if (double.onlineDevices().length !== clients.length) throw new Error(`${double.onlineDevices().length} of ${clients.length} online`);
	return { concurrency, allOnlineSeconds, failedAttempts: failures.length, failedAttemptCodes: [...new Set(failures)], conflicts: double.conflicts.length - conflictsBefore };
}

async function main(): Promise<void> {
	const double = new WhatsAppDouble({ eventCapacity: 2_000 });
	const endpoint = await double.start();
	const before = memory();
	const phones = Array.from({ length: N }, () => double.addAccount());

	const started = performance.now();
	const clients = await linkAll(endpoint, phones);
	const linkSeconds = (performance.now() - started) / 1000;
	console.log(`linked ${N} clients in ${linkSeconds.toFixed(1)} s (${LINK_CONCURRENCY} at a time)`);

	const phases: ReconnectPhase[] = [];
	let after: ReturnType<typeof memory> | undefined;
	for (const concurrency of RECONNECT_CONCURRENCY) {
		const phase = await reconnectAll(double, clients, concurrency);
		phases.push(phase);
		after ??= memory();
		console.log(
			`reconnected all ${N} from stored creds, ${concurrency} at a time: all online after ${phase.allOnlineSeconds} s (${phase.failedAttempts} failed attempts retried, codes ${phase.failedAttemptCodes.join(',') || '-'}; ${phase.conflicts} conflicts)`,
		);
	}
	const result = {
		n: N,
		linkSeconds: Number(linkSeconds.toFixed(1)),
		phases,
		rssMiB: Number(mib(after!.rss).toFixed(0)),
		heapMiB: Number(mib(after!.heapUsed).toFixed(0)),
		rssPerClientKiB: Number(kib(after!.rss / N)),
		heapPerClientKiB: Number(kib(after!.heapUsed / N)),
		rssAboveBaselinePerClientKiB: Number(kib((after!.rss - before.rss) / N)),
		heapAboveBaselinePerClientKiB: Number(kib((after!.heapUsed - before.heapUsed) / N)),
		externalPerClientKiB: Number(kib((after!.external - before.external) / N)),
		node: process.version,
		flags: process.execArgv.filter(flag => flag.startsWith('--') && !flag.includes('tsx')),
	};
	console.log(`memory with all online (after the first reconnect): RSS ${result.rssMiB} MiB (${result.rssPerClientKiB} KiB/client), heap ${result.heapMiB} MiB (${result.heapPerClientKiB} KiB/client)`);
	console.log(
		`above the process before any client: RSS ${result.rssAboveBaselinePerClientKiB} KiB/client, heap ${result.heapAboveBaselinePerClientKiB} KiB/client, buffers outside the heap ${result.externalPerClientKiB} KiB/client`,
	);
	console.log(JSON.stringify(result));

	await Promise.all(clients.map(client => client.end()));
	await double.stop();
}

await main();
process.exit(0);
