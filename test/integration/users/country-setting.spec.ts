import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, databaseTargets, type TestDatabase } from '../../helpers/databases.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

describe.each(await databaseTargets())('a tenant chooses the default country for phone numbers (%s)', target => {
	let db: TestDatabase;
	let node: TestNode;

	beforeAll(async () => {
		db = await createDatabase(target);
		node = await startNode({ db });
	});
	afterAll(async () => {
		await node?.stop();
		await db?.drop();
	});

	it('sets it alone or with the time zone, tells every tab, and clears it with null', async () => {
		const owner = new Client(node.url);
		const user = await owner.register({ timeZone: 'Asia/Kuala_Lumpur' });
		expect((await owner.get('/api/me')).body.country).toBeNull();
		const tab = await LiveSocket.open(node.url, { cookie: owner.cookie! });
		await tab.next(f => f.type === 'hello');

		const set = await owner.patch('/api/me/settings', { country: 'my' });
		expect(set.status).toBe(200);
		expect(set.body).toMatchObject({ country: 'MY', timeZone: 'Asia/Kuala_Lumpur' });
		const frame = await tab.next(f => f.type === 'user.settings-changed');
		expect(frame.payload).toEqual({ userId: user.id, timeZone: 'Asia/Kuala_Lumpur', country: 'MY', name: 'Test User', greetings: {}, readReceipts: true, typing: true });
		expect((await owner.get('/api/me')).body.country).toBe('MY');

		const both = await owner.patch('/api/me/settings', { timeZone: 'Asia/Singapore', country: 'SG' });
		expect(both.body).toMatchObject({ country: 'SG', timeZone: 'Asia/Singapore' });
		const zoneOnly = await owner.patch('/api/me/settings', { timeZone: 'Asia/Jakarta' });
		expect(zoneOnly.body).toMatchObject({ country: 'SG', timeZone: 'Asia/Jakarta' });

		const cleared = await owner.patch('/api/me/settings', { country: null });
		expect(cleared.body.country).toBeNull();
		expect((await owner.get('/api/me')).body.country).toBeNull();
		tab.close();
	});

	it('refuses a code that is not a country, field by field, and changes nothing', async () => {
		const owner = new Client(node.url);
		await owner.register();
		await owner.patch('/api/me/settings', { country: 'ID' });
		for (const country of ['XX', 'Malaysia', 'M1', 42]) {
			const res = await owner.patch('/api/me/settings', { country });
			expect(res.status, String(country)).toBe(400);
			expect(res.body.error.code).toBe('VALIDATION_ERROR');
			expect(res.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['country']);
		}
		expect((await owner.get('/api/me')).body.country).toBe('ID');
	});
});
