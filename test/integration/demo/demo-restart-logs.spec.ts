import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, postgresReachable, tempDir, type TestDatabase } from '../../helpers/databases.ts';
import { Client } from '../../helpers/http.ts';
import { freePort, spawnNode, waitForReady, type NodeProcess } from '../../helpers/processes.ts';

/** What no log line may ever hold: the fields of Signal session state, or a dump of one. */
const KEY_MATERIAL = /privKey|rootKey|chainKey|ephemeralKeyPair|SessionEntry|Closing session|Opening session/;

/**
 * `npm run demo` as a newcomer runs it, on PostgreSQL and a data folder that does not exist yet:
 * link a number, send a campaign, restart, send again, and read every line the node printed.
 */
describe.runIf(process.env.CI || (await postgresReachable()))('the demo on PostgreSQL from a fresh folder, restarted: it runs, and its logs hold no key material', () => {
	let db: TestDatabase;
	let dataDir: string;
	let port: number;
	const runs: NodeProcess[] = [];
	let client: Client;
	let deviceId: string;

	async function start(): Promise<NodeProcess> {
		const node = spawnNode(['services/**/*.service.ts'], {
			DEMO: '1',
			DATA_DIR: dataDir,
			DATABASE_URL: db.databaseUrl!,
			PORT: String(port),
			HOST: '127.0.0.1',
			NODE_ID: `demo-${port}`,
			DEVICE_START_JITTER_MS: '0',
			CAMPAIGN_TICK_MS: '200',
			DISPATCH_POLL_MS: '200',
			PROGRESS_INTERVAL_MS: '200',
		});
		runs.push(node);
		await waitForReady(`http://127.0.0.1:${port}/readyz`, node);
		return node;
	}

	async function campaignReachesEveryone(title: string): Promise<void> {
		const { body: campaign } = await client.post('/api/campaigns', { title, niche: 'demo', scheduledAt: new Date().toISOString(), message: `${title} for {name}`, minDelaySeconds: 0, maxDelaySeconds: 0 });
		const deadline = Date.now() + 60_000;
		for (;;) {
			const { body: report } = await client.get(`/api/campaigns/${campaign.id}/report`);
			if (report.status === 'completed') return;
			if (Date.now() > deadline) throw new Error(`${title}: ${JSON.stringify(report)}`);
			await new Promise(resolve => setTimeout(resolve, 200));
		}
	}

	async function online(): Promise<void> {
		const deadline = Date.now() + 30_000;
		while ((await client.get(`/api/devices/${deviceId}`)).body.status !== 'online') {
			if (Date.now() > deadline) throw new Error('the demo device did not come online');
			await new Promise(resolve => setTimeout(resolve, 200));
		}
	}

	beforeAll(async () => {
		db = await postgresDatabase();
		// A folder that does not exist yet, as on a fresh clone.
		dataDir = path.join(tempDir(), 'data-demo');
		port = await freePort();
	});
	afterAll(async () => {
		for (const run of runs) await run.stop();
		await db?.drop();
	});

	it('starts, links a demo number and sends a campaign, with its data folder made for it', async () => {
		await start();
		client = new Client(`http://127.0.0.1:${port}`);
		await client.register();
		// Two campaigns to all twelve demo contacts are more than a new number's first warm-up day allows.
		({ body: { id: deviceId } } = await client.post('/api/devices', { name: 'Demo shop', pacing: { minDelaySeconds: 0, maxDelaySeconds: 0, warmUp: false } }));
		expect((await client.post(`/api/devices/${deviceId}/pair`, { method: 'qr' })).status).toBe(200);
		expect((await client.post(`/api/demo/devices/${deviceId}/link`)).status).toBe(200);
		await online();
		const { body: contacts } = await client.get('/api/demo/contacts');
		const csv = ['device,name,phone,niche', ...contacts.map((c: { name: string; phone: string }) => `${deviceId},${c.name},${c.phone},demo`)].join('\n');
		expect((await client.request('POST', '/api/leads/import', csv, { 'content-type': 'text/csv' })).body.created).toBe(contacts.length);
		await campaignReachesEveryone('Before');
		expect(fs.existsSync(path.join(dataDir, 'demo-whatsapp.json'))).toBe(true);
	}, 120_000);

	it('comes back after a restart with its number online and sends again', async () => {
		expect(await runs[0].stop()).toBe(0);
		await start();
		await online();
		await campaignReachesEveryone('After');
	}, 120_000);

	it('wrote no Signal key, session dump or session chatter to its logs', () => {
		const lines = runs.flatMap(run => run.output().split('\n'));
		expect(lines.filter(line => /Dashboard and API on/.test(line))).toHaveLength(2);
		expect(lines.filter(line => KEY_MATERIAL.test(line))).toEqual([]);
	});
});
