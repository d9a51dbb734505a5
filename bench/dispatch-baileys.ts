/**
 * One campaign over the real send path: N devices linked by QR to the WhatsApp double, K leads
 * per device (each a contact on the double), one campaign with `{name}` and pacing off, sent
 * through Baileys. Prints the time to fire, the messages per second until every message is final,
 * the time until every delivery receipt is in, the CPU per message of the Fleetcast node and of
 * the double, and checks with the double that every contact received exactly its one message.
 *
 * The node runs in its own process, started as `npm start` starts one (gateway, users, devices,
 * leads, messages, campaigns; a fresh PostgreSQL database), and so does the double (its CLI): the
 * CPU of each is read from /proc for its process alone, and this process's polling and checks
 * count for neither.
 *
 *   npx tsx --experimental-async-context-frame bench/dispatch-baileys.ts [devices=300] [messages per device=20]
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { CampaignDto } from '../services/campaigns/campaigns.params.ts';
import type { ImportReport } from '../services/leads/leads.params.ts';
import { cleanLeadName } from '../services/messages/lead-name.ts';
import { NO_PACING } from '../test/helpers/campaigns.ts';
import { postgresDatabase, tempDir } from '../test/helpers/databases.ts';
import { Client, LiveSocket } from '../test/helpers/http.ts';
import { importCsv } from '../test/helpers/leads.ts';
import { freePort } from '../test/helpers/processes.ts';
import type { RemoteContact } from '../services/whatsapp-double/control-client.ts';
import { assertRunning, cpuSince, formatCores, inPool, linkDevices, log, logProblems, nodeEnv, startDouble, startFleetcast, runFleetBench, type Fleet, type FleetCores } from './fleet.ts';

const numbers = process.argv.slice(2).filter(a => /^\d+$/.test(a)).map(Number);
const DEVICES = numbers[0] ?? 300;
const PER_DEVICE = numbers[1] ?? 20;
const MESSAGES = DEVICES * PER_DEVICE;
if (DEVICES < 1 || PER_DEVICE < 1 || MESSAGES > 9_000_000) throw new Error('devices and messages per device must be positive integers, at most 9,000,000 messages in all');

const SERVICES = ['gateway', 'users', 'devices', 'leads', 'messages', 'campaigns'];
const MESSAGE = 'Hello {name}, {this is|here is} our offer.';
/** API calls made during set-up, this many at a time. */
const SETUP_CONCURRENCY = 20;
const IDLE_SAMPLE_MS = 5_000;
const RUN_TIMEOUT_MS = 30 * 60_000;
/** After the last message is final, how long its delivery receipts may take to be recorded. */
const RECEIPT_TIMEOUT_MS = 60_000;
const LABEL = 'dispatch-baileys';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
/** Malaysian mobile numbers (+60 12 followed by 7 digits), so the lead import takes them. */
const phoneOf = (i: number) => `6012${1_000_000 + i}`;
/** Names of letters only ("Lead Bcd"): cleaning a name takes digits out, and each contact's message must be its own. */
const nameOf = (i: number) => {
	let letters = '';
	for (let n = i; letters.length < 3 || n > 0; n = Math.floor(n / 26)) letters = String.fromCharCode(97 + (n % 26)) + letters;
	return `Lead ${letters[0].toUpperCase()}${letters.slice(1)}`;
};
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Progress {
	fired: boolean;
	counts: Record<string, number>;
}

async function progressOf(sql: pg.Client, campaignId: string): Promise<Progress> {
	const { rows } = await sql.query<{ firing_done: boolean; status: string | null; n: number }>(
		`select c.firing_done, m.status, count(m.id)::int as n
		 from campaigns c left join messages m on m.source = 'campaign' and m.source_id = c.id
		 where c.id = $1 group by c.firing_done, m.status`,
		[campaignId],
	);
	const counts: Record<string, number> = {};
	for (const row of rows) if (row.status) counts[row.status] = row.n;
	return { fired: rows[0]?.firing_done ?? false, counts };
}

/** What each contact received, compared with the one message it should have: from its lead's number, with its name. */
async function checkContacts(contacts: RemoteContact[], senderOf: (i: number) => string): Promise<{ none: number; several: number; wrong: number; example?: string }> {
	const outcome: { none: number; several: number; wrong: number; example?: string } = { none: 0, several: 0, wrong: 0 };
	await inPool(contacts.length, SETUP_CONCURRENCY, async i => {
		const got = await contacts[i].received();
		const expected = new RegExp(`^Hello ${escape(cleanLeadName(nameOf(i))!)}, (this is|here is) our offer\\.$`);
		if (got.length === 0) outcome.none++;
		else if (got.length > 1) outcome.several++;
		else if (got[0].fromPhone !== senderOf(i) || !expected.test(got[0].text ?? '')) {
			outcome.wrong++;
			outcome.example ??= `${contacts[i].phone} got "${got[0].text}" from ${got[0].fromPhone}, expected ${expected} from ${senderOf(i)}`;
		}
	});
	return outcome;
}

/** The campaign once it is no longer running (its completion is judged at the next campaign tick), or as it is after 15 s. */
async function campaignEnd(client: Client, campaignId: string): Promise<CampaignDto> {
	const deadline = Date.now() + 15_000;
	for (;;) {
		const { status, body } = await client.get<CampaignDto>(`/api/campaigns/${campaignId}`);
		if (status !== 200) throw new Error(`GET /api/campaigns/${campaignId} answered ${status}: ${JSON.stringify(body)}`);
		if (body.status !== 'running' || Date.now() > deadline) return body;
		await sleep(200);
	}
}

async function main(fleet: Fleet): Promise<void> {
	log(`${DEVICES} devices × ${PER_DEVICE} = ${MESSAGES} messages; ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 20)} MiB, Node ${process.version}`);
	fleet.double = await startDouble();
	const { control } = fleet.double;
	fleet.db = await postgresDatabase();
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	// Due campaigns looked for every 200 ms, as in bench/dispatch.ts.
	await startFleetcast(fleet, SERVICES, { ...nodeEnv(fleet, port), CAMPAIGN_TICK_MS: '200' }, url);

	const client = new Client(url);
	await client.register();
	const live = await LiveSocket.open(url, { cookie: client.cookie! });
	const linkStarted = performance.now();
	const devices = await linkDevices(client, live, control, DEVICES, 'Bench');
	const linkSeconds = (performance.now() - linkStarted) / 1000;
	live.close();
	await inPool(DEVICES, SETUP_CONCURRENCY, async i => {
		const res = await client.patch(`/api/devices/${devices[i].id}`, { pacing: NO_PACING });
		if (res.status !== 200) throw new Error(`PATCH /api/devices/${devices[i].id} answered ${res.status}: ${JSON.stringify(res.body)}`);
	});

	// Lead i is contact i, on device i mod N.
	const contacts: RemoteContact[] = new Array(MESSAGES);
	await inPool(MESSAGES, SETUP_CONCURRENCY, async i => {
		contacts[i] = await control.addContact({ phone: phoneOf(i), name: nameOf(i) });
	});
	const rows = contacts.map((_, i) => `${nameOf(i)},+${phoneOf(i)},bench,${devices[i % DEVICES].id}`);
	const imported = await importCsv(client, ['name,phone,niche,device', ...rows].join('\n') + '\n');
	const report = imported.body as ImportReport;
	if (imported.status !== 200 || report.created !== MESSAGES) throw new Error(`the lead import answered ${imported.status}: ${JSON.stringify(imported.body).slice(0, 500)}`);
	log(`${DEVICES} devices linked in ${linkSeconds.toFixed(1)} s, pacing off; ${MESSAGES} contacts on the double and leads imported`);

	const sql = new pg.Client({ connectionString: fleet.db.databaseUrl });
	sql.on('error', () => undefined); // the database is dropped under it on Ctrl-C
	await sql.connect();
	try {
		const idleCpu = cpuSince(fleet);
		await sleep(IDLE_SAMPLE_MS);
		const idle = idleCpu();
		log(`idle with ${DEVICES} devices online: ${formatCores(idle)}`);

		const cpu = cpuSince(fleet);
		const began = performance.now();
		const seconds = () => (performance.now() - began) / 1000;
		const created = await client.post<CampaignDto>('/api/campaigns', {
			title: 'Bench',
			scheduledAt: new Date().toISOString(),
			niche: 'bench',
			targetStatus: 'all',
			message: MESSAGE,
			minDelaySeconds: 0,
			maxDelaySeconds: 0,
		});
		if (created.status !== 201) throw new Error(`POST /api/campaigns answered ${created.status}: ${JSON.stringify(created.body)}`);
		const campaignId = created.body.id;

		let firedSeconds = Number.NaN;
		let firstSentSeconds = Number.NaN;
		let final: { seconds: number; cpu: FleetCores } | undefined;
		let receiptsSeconds = Number.NaN;
		const perSecond: number[] = [];
		let [lastLeft, lastAt] = [0, performance.now()];
		let progress: Progress;
		for (;;) {
			await sleep(Number.isNaN(firedSeconds) ? 100 : 250);
			assertRunning(fleet);
			progress = await progressOf(sql, campaignId);
			const { pending = 0, sending = 0, sent = 0, delivered = 0, read = 0, failed = 0 } = progress.counts;
			const left = sent + delivered + read + failed;
			if (progress.fired && Number.isNaN(firedSeconds)) firedSeconds = seconds();
			if (left > 0 && Number.isNaN(firstSentSeconds)) firstSentSeconds = seconds();
			const now = performance.now();
			if (now - lastAt >= 1_000) {
				perSecond.push(((left - lastLeft) * 1000) / (now - lastAt));
				[lastLeft, lastAt] = [left, now];
			}
			if (progress.fired && pending + sending === 0) {
				final ??= { seconds: seconds(), cpu: cpu() };
				if (sent === 0) {
					receiptsSeconds = seconds();
					break;
				}
				if (seconds() - final.seconds > RECEIPT_TIMEOUT_MS / 1000) break;
			}
			if (seconds() > RUN_TIMEOUT_MS / 1000) throw new Error(`not done after ${RUN_TIMEOUT_MS / 1000} s: ${JSON.stringify(progress.counts)}`);
		}
		const shares = cpu();
		const campaign = await campaignEnd(client, campaignId);
		const check = await checkContacts(contacts, i => devices[i % DEVICES].phone);
		const conflicts = (await control.conflicts()).length;
		const problems = logProblems(fleet.node!.output());

		const counts = progress.counts;
		const reached = (counts.sent ?? 0) + (counts.delivered ?? 0) + (counts.read ?? 0);
		const perMessageMs = (cpuSeconds: number) => ((cpuSeconds * 1000) / MESSAGES).toFixed(1);
		const fine = check.none + check.several + check.wrong === 0;
		const checked = fine
			? `each of the ${MESSAGES} contacts received exactly its one message`
			: `contacts with no message ${check.none}, with several ${check.several}, with a wrong one ${check.wrong}${check.example ? ` (${check.example})` : ''}`;
		console.log(
			`dispatch-baileys [postgres] ${DEVICES} devices × ${PER_DEVICE} = ${MESSAGES} messages (linked in ${linkSeconds.toFixed(0)} s): ` +
				`fired in ${firedSeconds.toFixed(2)} s, first sent at ${firstSentSeconds.toFixed(2)} s; all final in ${final!.seconds.toFixed(2)} s = ${(reached / final!.seconds).toFixed(0)} msg/s end to end ` +
				`(best second ${Math.max(0, ...perSecond).toFixed(0)}); all delivery receipts in at ${Number.isNaN(receiptsSeconds) ? `- (${counts.sent} missing after ${RECEIPT_TIMEOUT_MS / 1000} s)` : `${receiptsSeconds.toFixed(2)} s`}; ` +
				`CPU per message: node ${perMessageMs(shares.cpuSeconds.node)} ms, double ${perMessageMs(shares.cpuSeconds.double)} ms, postgres ${perMessageMs(shares.cpuSeconds.postgres)} ms ` +
				`(node idle beforehand ${idle.node} cores); campaign ${campaign.status}, statuses ${JSON.stringify(counts)}; ${checked}; ${conflicts} conflicts; ` +
				`node log ${problems.warnings} warnings, ${problems.errors} errors; until all final ${formatCores(final!.cpu)}; until all receipts ${formatCores(shares)}`,
		);
		if (problems.first) log(`first problem in the node's log: ${problems.first.trim()}`);
		const broken = [
			!fine && 'not every contact received exactly its one message',
			conflicts > 0 && 'the double saw conflicts',
			counts.delivered !== MESSAGES && 'not every message was delivered',
			campaign.status !== 'completed' && `the campaign ended ${campaign.status}`,
		].filter(Boolean);
		if (broken.length) throw new Error(`${broken.join('; ')} (see the line above)`);
	} finally {
		await sql.end().catch(() => undefined);
	}
}

await runFleetBench({ dir: tempDir(`fc-${LABEL}-`), nodes: [] }, LABEL, main);
