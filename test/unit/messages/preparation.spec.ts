import { describe, expect, it } from 'vitest';
import type { ClaimedMessage } from '../../../services/messages/outbox.ts';
import { CannotBeSentError, MessagePreparation, NotToBeSentError } from '../../../services/messages/preparation.ts';

const USER = 'user-1';
const CAMPAIGN = 'campaign-1';

function claimed(n: number, over: Partial<ClaimedMessage> = {}): ClaimedMessage {
	return {
		id: `00000000-0000-4000-8000-00000000000${n}`,
		userId: USER,
		deviceId: 'device-1',
		source: 'campaign',
		sourceId: CAMPAIGN,
		key: `+6012345000${n}`,
		leadId: `lead-${n}`,
		recipient: `+6012345000${n}`,
		body: null,
		mediaId: null,
		epoch: 1,
		...over,
	};
}

/** The services a sending node asks, answering from these tables and counting the calls. */
function collaborators(leads: Record<string, { name: string; optedOut?: boolean; userId?: string }>) {
	const calls: { action: string; params: Record<string, unknown> }[] = [];
	const content = { [CAMPAIGN]: { userId: USER, text: '{Hi|Hello} {name}', greeting: 'none', mediaId: null, minDelaySeconds: 3, maxDelaySeconds: 7 } };
	const call = async <T>(action: string, params: object): Promise<T> => {
		calls.push({ action, params: params as Record<string, unknown> });
		const ids = (params as { ids?: string[] }).ids ?? [];
		if (action === 'campaigns.messageContent') return Object.fromEntries(ids.filter(id => id in content).map(id => [id, { ...content[id as keyof typeof content] }])) as T;
		if (action === 'leads.messageFields') {
			return Object.fromEntries(ids.filter(id => id in leads).map(id => [id, { id, userId: USER, niches: [], targetStatus: 'prospect', notes: null, optedOut: false, ...leads[id] }])) as T;
		}
		if (action === 'users.sendingSettings') return { [USER]: { timeZone: 'Asia/Kuala_Lumpur', greetings: {} } } as T;
		throw new Error(`unexpected call ${action}`);
	};
	return { calls, call, content };
}

describe('preparing a claimed message for its recipient at send time', () => {
	it('renders the source’s template with the lead’s fields as they are now, asking each service once for a whole claim', async () => {
		const { calls, call } = collaborators({ 'lead-1': { name: 'Aisha' }, 'lead-2': { name: 'Badrul' }, 'lead-3': { name: 'Chen' } });
		const preparation = new MessagePreparation({ call });
		const prepared = await Promise.all([1, 2, 3].map(n => preparation.prepare(claimed(n))));
		expect(prepared.map(p => p.outgoing.text)).toEqual([expect.stringMatching(/^(Hi|Hello) Aisha$/), expect.stringMatching(/^(Hi|Hello) Badrul$/), expect.stringMatching(/^(Hi|Hello) Chen$/)]);
		expect(prepared[0]).toMatchObject({ outgoing: { to: '60123450001', id: '00000000000040008000000000000001' }, minDelaySeconds: 3, maxDelaySeconds: 7 });
		expect(calls.map(c => c.action).sort()).toEqual(['campaigns.messageContent', 'leads.messageFields', 'users.sendingSettings']);
		expect(calls.find(c => c.action === 'leads.messageFields')!.params.ids).toEqual(['lead-1', 'lead-2', 'lead-3']);
		// The same message renders the same text again (spintax is seeded by its id).
		expect((await preparation.prepare(claimed(1))).outgoing.text).toBe(prepared[0].outgoing.text);
	});

	it('sends nothing to a lead that opted out or was deleted after the message was queued, nor for another tenant’s lead', async () => {
		const { call } = collaborators({ 'lead-1': { name: 'Aisha', optedOut: true }, 'lead-3': { name: 'Chen', userId: 'someone-else' } });
		const preparation = new MessagePreparation({ call });
		await expect(preparation.prepare(claimed(1))).rejects.toThrow(new NotToBeSentError('cancelled: the lead opted out'));
		await expect(preparation.prepare(claimed(2))).rejects.toThrow(new NotToBeSentError('cancelled: the lead was deleted'));
		await expect(preparation.prepare(claimed(3))).rejects.toThrow(new NotToBeSentError('cancelled: the lead was deleted'));
		await expect(preparation.prepare(claimed(4, { leadId: null, sourceId: 'gone' }))).rejects.toThrow(new NotToBeSentError('cancelled: its campaign no longer exists'));
	});

	it('sends a literal text as written (no spintax), and fails a source that has no template for a message without one', async () => {
		const { calls, call } = collaborators({});
		const preparation = new MessagePreparation({ call });
		const reply = await preparation.prepare(claimed(1, { source: 'inbox', leadId: null, body: 'See you at {3|4} pm' }));
		expect(reply).toMatchObject({ outgoing: { text: 'See you at {3|4} pm' }, minDelaySeconds: 0, maxDelaySeconds: 0 });
		expect(calls.map(c => c.action)).toEqual(['users.sendingSettings']);
		await expect(preparation.prepare(claimed(2, { source: 'inbox', leadId: null }))).rejects.toBeInstanceOf(CannotBeSentError);
	});

	it('reads a template again once it is a few seconds old, and renders with a tenant’s new settings at once', async () => {
		const { calls, call, content } = collaborators({ 'lead-1': { name: 'Aisha' } });
		const preparation = new MessagePreparation({ call }, { contentTtlMs: 50, tenantTtlMs: 60_000 });
		await preparation.prepare(claimed(1));
		content[CAMPAIGN].text = 'Edited for {name}';
		expect((await preparation.prepare(claimed(1))).outgoing.text).not.toBe('Edited for Aisha');
		await new Promise(resolve => setTimeout(resolve, 60));
		expect((await preparation.prepare(claimed(1))).outgoing.text).toBe('Edited for Aisha');
		preparation.tenantChanged(USER, { timeZone: 'UTC', greetings: { en: [{ fromHour: 0, text: 'Hey {name}' }] } });
		content[CAMPAIGN].greeting = 'en';
		await new Promise(resolve => setTimeout(resolve, 60));
		expect((await preparation.prepare(claimed(1))).outgoing.text).toBe('Hey Aisha\n\nEdited for Aisha');
		expect(calls.filter(c => c.action === 'users.sendingSettings')).toHaveLength(1);
	});

	it('sends nothing more of a source that says stop, once it has said so', async () => {
		const { call, content } = collaborators({ 'lead-1': { name: 'Aisha' } });
		const preparation = new MessagePreparation({ call });
		await preparation.prepare(claimed(1));
		(content[CAMPAIGN] as { stopped?: string }).stopped = 'the campaign was cancelled';
		// What it remembers of the campaign is forgotten when the campaign says it changed.
		preparation.contentChanged('campaign', CAMPAIGN);
		await expect(preparation.prepare(claimed(1))).rejects.toThrow(new NotToBeSentError('cancelled: the campaign was cancelled'));
	});

	it('fails only the message whose image is gone, not the others prepared with it', async () => {
		const base = collaborators({ 'lead-1': { name: 'Aisha' }, 'lead-2': { name: 'Badrul' } });
		const call = async <T>(action: string, params: object): Promise<T> => {
			if (action !== 'media.content') return base.call<T>(action, params);
			if ((params as { id: string }).id === 'gone') throw Object.assign(new Error('No such image.'), { code: 404 });
			return { contentType: 'image/jpeg', data: Buffer.from('jpeg').toString('base64') } as T;
		};
		const preparation = new MessagePreparation({ call });
		const [kept, lost] = await Promise.allSettled([preparation.prepare(claimed(1, { mediaId: 'kept' })), preparation.prepare(claimed(2, { mediaId: 'gone' }))]);
		expect(kept).toMatchObject({ status: 'fulfilled', value: { outgoing: { image: { mimetype: 'image/jpeg' } } } });
		expect(lost).toMatchObject({ status: 'rejected', reason: { message: 'No such image.' } });
	});
});
