import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, databaseTargets, type TestDatabase } from '../../helpers/databases.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';
import { startNode, type TestNode } from '../../helpers/node.ts';

const fields = (body: { error: { fields: { field: string }[] } }) => body.error.fields.map(f => f.field);

describe.each(await databaseTargets())('a tenant edits its greeting sets (%s)', target => {
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

	it('saves its own English set sorted by hour, tells every tab, keeps the Malay default, and resets with null', async () => {
		const owner = new Client(node.url);
		const user = await owner.register({ timeZone: 'Asia/Kuala_Lumpur' });
		expect((await owner.get('/api/me')).body.greetings).toEqual({});
		const tab = await LiveSocket.open(node.url, { cookie: owner.cookie! });
		await tab.next(f => f.type === 'hello');

		const own = [
			{ fromHour: 17, text: '{Good evening|Evening} {first_name}!' },
			{ fromHour: 6, text: '  Morning {name}!  ' },
		];
		const saved = await owner.patch('/api/me/settings', { greetings: { en: own } });
		expect(saved.status, JSON.stringify(saved.body)).toBe(200);
		const sorted = [
			{ fromHour: 6, text: 'Morning {name}!' },
			{ fromHour: 17, text: '{Good evening|Evening} {first_name}!' },
		];
		expect(saved.body).toMatchObject({ timeZone: 'Asia/Kuala_Lumpur', greetings: { en: sorted } });
		const frame = await tab.next(f => f.type === 'user.settings-changed');
		expect(frame.payload).toEqual({ userId: user.id, timeZone: 'Asia/Kuala_Lumpur', country: null, name: 'Test User', greetings: { en: sorted }, readReceipts: true, typing: true });
		expect((await owner.get('/api/me')).body.greetings).toEqual({ en: sorted });

		const malay = [{ fromHour: 0, text: 'Salam {name},' }];
		expect((await owner.patch('/api/me/settings', { greetings: { ms: malay } })).body.greetings).toEqual({ en: sorted, ms: malay });
		// Another setting leaves the sets alone.
		expect((await owner.patch('/api/me/settings', { country: 'MY' })).body.greetings).toEqual({ en: sorted, ms: malay });

		expect((await owner.patch('/api/me/settings', { greetings: { en: null } })).body.greetings).toEqual({ ms: malay });
		const reset = await tab.next(f => f.type === 'user.settings-changed' && !('en' in f.payload.greetings) && 'ms' in f.payload.greetings);
		expect(reset.payload.greetings).toEqual({ ms: malay });
		expect((await owner.patch('/api/me/settings', { greetings: { ms: null } })).body.greetings).toEqual({});
		expect((await owner.get('/api/me')).body.greetings).toEqual({});
		tab.close();
	});

	it('refuses bad sets field by field, naming each line, and changes nothing', async () => {
		const owner = new Client(node.url);
		await owner.register();
		const kept = [{ fromHour: 0, text: 'Hi {name},' }];
		expect((await owner.patch('/api/me/settings', { greetings: { en: kept } })).status).toBe(200);

		const ok = { fromHour: 8, text: 'Hello {name},' };
		const cases: [string, unknown, string[]][] = [
			['an empty set', { en: [] }, ['greetings.en']],
			['thirteen lines', { en: Array.from({ length: 13 }, (_, i) => ({ fromHour: i, text: 'Hi' })) }, ['greetings.en']],
			['hours outside 0-23 or not whole', { en: [{ fromHour: 24, text: 'Hi' }, { fromHour: -1, text: 'Hi' }, { fromHour: 7.5, text: 'Hi' }, { fromHour: '8', text: 'Hi' }] }, ['greetings.en[0].fromHour', 'greetings.en[1].fromHour', 'greetings.en[2].fromHour', 'greetings.en[3].fromHour']],
			['an hour given twice', { ms: [ok, { fromHour: 12, text: 'Hai' }, { fromHour: 8, text: 'Salam' }] }, ['greetings.ms[2].fromHour']],
			['an empty or blank text', { en: [ok, { fromHour: 9, text: '' }, { fromHour: 10, text: '   ' }] }, ['greetings.en[1].text', 'greetings.en[2].text']],
			['a text over 200 characters', { en: [{ fromHour: 0, text: 'a'.repeat(201) }] }, ['greetings.en[0].text']],
			['unbalanced braces', { en: [{ fromHour: 0, text: '{Hi|Hello {name},' }, { fromHour: 12, text: 'Hi} {name}' }] }, ['greetings.en[0].text', 'greetings.en[1].text']],
			['an unknown placeholder', { en: [ok, { fromHour: 12, text: 'Hi {nama},' }] }, ['greetings.en[1].text']],
			['a line without its text', { en: [{ fromHour: 3 }] }, ['greetings.en[0].text']],
			['an unknown field in a line', { en: [{ ...ok, colour: 'red' }] }, ['greetings.en[0]']],
			['a language that does not ship', { fr: [ok] }, ['greetings']],
		];
		for (const [what, greetings, expected] of cases) {
			const res = await owner.patch('/api/me/settings', { greetings });
			expect(res.status, what).toBe(400);
			expect(res.body.error.code, what).toBe('VALIDATION_ERROR');
			expect(fields(res.body), what).toEqual(expected);
		}
		const twice = await owner.patch('/api/me/settings', { greetings: { ms: [ok, { fromHour: 8, text: 'Salam' }] } });
		expect(twice.body.error.fields[0].message).toBe('Line 1 already starts at 8:00; choose another hour.');
		const unknown = await owner.patch('/api/me/settings', { greetings: { en: [{ fromHour: 0, text: 'Hi {nama},' }] } });
		expect(unknown.body.error.fields[0].message).toMatch(/^\{nama\} is not a placeholder\. A greeting can use \{name\}/);
		// A good time zone in the same request is not saved either.
		const mixed = await owner.patch('/api/me/settings', { timeZone: 'Asia/Tokyo', greetings: { en: [{ fromHour: 0, text: '{' }] } });
		expect(mixed.status).toBe(400);
		const me = (await owner.get('/api/me')).body;
		expect(me.greetings).toEqual({ en: kept });
		expect(me.timeZone).toBe('UTC');
	});
});
