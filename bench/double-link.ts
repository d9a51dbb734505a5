/**
 * N Baileys clients linked to one WhatsApp double (each its own account, QR scanned by the fake
 * phone), then all sockets ended and reconnected at once from their stored creds: how long until
 * all are online again, and the memory per client with all N online (process RSS and V8 heap,
 * divided by N, in total and above the process before any client). Double and clients share the
 * process, as in the test suites.
 *
 *   npx tsx --expose-gc --experimental-async-context-frame bench/double-link.ts [N=100] [reconnect concurrency=all]
 *
 * Without --experimental-async-context-frame, Node 22 implements AsyncLocalStorage with
 * async_hooks, and every Baileys socket creates one that stays registered after the socket ends:
 * each promise then costs time in proportion to all the sockets the process ever opened.
 */
import { performance } from 'node:perf_hooks';
import { DoubleClient, WhatsAppDouble, type DoubleEndpoint, type Phone } from '../test/whatsapp-double/index.ts';

const N = Number(process.argv[2] ?? 100);
/** Links run this many at a time: each one generates and uploads 812 pre-keys. */
const LINK_CONCURRENCY = 20;
/** Reconnects in flight at once: `all` (the default) starts every client together. */
const RECONNECT_CONCURRENCY = process.argv[3] === undefined || process.argv[3] === 'all' ? N : Number(process.argv[3]);
const TIMEOUT_MS = 600_000;
const CLIENT_CONFIG = { connectTimeoutMs: 120_000, defaultQueryTimeoutMs: 120_000, keepAliveIntervalMs: 60_000 };

const mib = (bytes: number) => bytes / 1024 / 1024;
const kib = (bytes: number) => (bytes / 1024).toFixed(0);

function memory() {
	globalThis.gc?.();
	const { rss, heapUsed, external } = process.memoryUsage();
	return { rss, heapUsed, external };
}

async function linkOne(endpoint: DoubleEndpoint, phone: Phone): Promise<DoubleClient> {
	const client = new DoubleClient(endpoint, { config: CLIENT_CONFIG });
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

/**
 * Reconnect every client from its stored creds, RECONNECT_CONCURRENCY at a time (a fleet limits how
 * many devices reconnect at once); a client whose attempt fails (a timeout under load) tries again.
 * Returns the close codes of the failed attempts.
 */
async function reconnectAll(clients: DoubleClient[]): Promise<(number | undefined)[]> {
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
	await Promise.all(Array.from({ length: RECONNECT_CONCURRENCY }, worker));
	return failures;
}

async function main(): Promise<void> {
	const double = new WhatsAppDouble({ eventCapacity: 2_000 });
	const endpoint = await double.start();
	const before = memory();
	const phones = Array.from({ length: N }, () => double.addAccount());

	let started = performance.now();
	const clients = await linkAll(endpoint, phones);
	const linkSeconds = (performance.now() - started) / 1000;

	for (const client of clients) client.end();
	while (double.onlineDevices().length > 0) await new Promise(resolve => setTimeout(resolve, 50));

	started = performance.now();
	const retries = await reconnectAll(clients);
	const reconnectSeconds = (performance.now() - started) / 1000;
	if (double.onlineDevices().length !== N) throw new Error(`${double.onlineDevices().length} of ${N} online`);
	double.assertNoConflicts();

	const after = memory();
	const result = {
		n: N,
		linkSeconds: Number(linkSeconds.toFixed(1)),
		reconnectConcurrency: RECONNECT_CONCURRENCY,
		reconnectAllOnlineSeconds: Number(reconnectSeconds.toFixed(2)),
		failedAttempts: retries.length,
		failedAttemptCodes: [...new Set(retries)],
		rssMiB: Number(mib(after.rss).toFixed(0)),
		heapMiB: Number(mib(after.heapUsed).toFixed(0)),
		rssPerClientKiB: Number(kib(after.rss / N)),
		heapPerClientKiB: Number(kib(after.heapUsed / N)),
		rssAboveBaselinePerClientKiB: Number(kib((after.rss - before.rss) / N)),
		heapAboveBaselinePerClientKiB: Number(kib((after.heapUsed - before.heapUsed) / N)),
		externalPerClientKiB: Number(kib((after.external - before.external) / N)),
		node: process.version,
		flags: process.execArgv.filter(flag => flag.startsWith('--') && !flag.includes('tsx')),
	};
	console.log(`linked ${N} clients in ${result.linkSeconds} s (${LINK_CONCURRENCY} at a time)`);
	console.log(`reconnected all ${N} from stored creds, ${RECONNECT_CONCURRENCY} at a time: all online after ${result.reconnectAllOnlineSeconds} s (${retries.length} failed attempts retried)`);
	console.log(`memory with all online: RSS ${result.rssMiB} MiB (${result.rssPerClientKiB} KiB/client), heap ${result.heapMiB} MiB (${result.heapPerClientKiB} KiB/client)`);
	console.log(
		`above the process before any client: RSS ${result.rssAboveBaselinePerClientKiB} KiB/client, heap ${result.heapAboveBaselinePerClientKiB} KiB/client, buffers outside the heap ${result.externalPerClientKiB} KiB/client`,
	);
	console.log(JSON.stringify(result));

	for (const client of clients) client.end();
	await double.stop();
}

await main();
process.exit(0);
