import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InboxFeed, type InboxFeedDeps } from '../../../services/devices/inbox-feed.ts';
import type { FeedParams } from '../../../services/inbox/inbox.params.ts';
import type { ChatMessageSeen } from '../../../services/devices/whatsapp-driver.ts';

const seen = (id: string, extra: Partial<ChatMessageSeen> = {}): ChatMessageSeen => ({
	id,
	fromMe: false,
	phone: '60123450001',
	lid: null,
	remoteJid: '60123450001@s.whatsapp.net',
	pushName: 'Aisha',
	text: `text ${id}`,
	at: new Date(),
	...extra,
});

/** A feed over an inbox that records each call; `fail` makes the next calls throw. */
function testFeed(deps: Partial<InboxFeedDeps> = {}) {
	const calls: FeedParams[] = [];
	const warnings: string[] = [];
	let failing = 0;
	const feed = new InboxFeed(
		{
			available: () => true,
			ownerOf: async () => 'user-1',
			storeImage: async () => 'media-1',
			feed: async params => {
				if (failing > 0) {
					failing -= 1;
					throw new Error('inbox away');
				}
				calls.push(structuredClone(params));
			},
			maxPixels: 50_000_000,
			logger: { warn: (message: unknown) => void warnings.push(String(message)) },
			...deps,
		},
		{ flushMs: 5, maxHeld: 50_000 },
	);
	return { feed, calls, warnings, fail: (times: number) => (failing = times) };
}

const handedOver = (calls: FeedParams[]) => calls.flatMap(c => [...c.messages.map(m => `m:${m.waMessageId}`), ...c.receipts.map(r => `r:${r.waMessageId}`), ...c.read.map(r => `read:${r.waMessageId}`)]);

describe('the inbox feed hands over what a number saw, in its order', () => {
	it('a read on the phone never overtakes the photo it is about, while other numbers do not wait for that photo', async () => {
		let release!: () => void;
		const slow = new Promise<void>(resolve => (release = resolve));
		const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#369' } }).png().toBuffer();
		const { feed, calls } = testFeed({
			storeImage: async () => {
				await slow;
				return 'media-1';
			},
		});
		feed.seen('d1', [seen('P1', { image: { data: photo, mimetype: 'image/png' } })]);
		feed.readElsewhere('d1', ['P1']);
		feed.seen('d2', [seen('T2')]);
		await expect.poll(() => handedOver(calls)).toEqual(['m:T2']);
		release();
		await expect.poll(() => handedOver(calls)).toEqual(['m:T2', 'm:P1', 'read:P1']);
		expect(calls.flatMap(c => c.messages).find(m => m.waMessageId === 'P1')?.mediaId).toBe('media-1');
		await feed.stop();
	});

	it('goes over in calls of at most 500, messages before receipts, and tries again in order after a failure', async () => {
		const { feed, calls, fail, warnings } = testFeed();
		fail(2);
		feed.seen('d1', Array.from({ length: 700 }, (_, i) => seen(`M${i}`)));
		feed.receipt('d1', [{ id: 'M5', status: 'delivered' }]);
		await expect.poll(() => handedOver(calls).length, { timeout: 3_000 }).toBe(701);
		expect(calls.map(c => c.messages.length + c.receipts.length + c.read.length)).toEqual([500, 201]);
		expect(handedOver(calls)).toEqual([...Array.from({ length: 700 }, (_, i) => `m:M${i}`), 'r:M5']);
		// Two failures, one warning: a flood of them would bury the log.
		expect(warnings.filter(w => w.includes('trying again'))).toHaveLength(1);
		await feed.stop();
	});

	it('drops NUL characters, which PostgreSQL cannot store, from a contact’s text and name', async () => {
		const { feed, calls } = testFeed();
		feed.seen('d1', [seen('N1', { text: 'odd\u0000text', pushName: 'Ai\u0000sha' })]);
		await expect.poll(() => calls.length).toBe(1);
		expect(calls[0]!.messages[0]).toMatchObject({ text: 'oddtext', pushName: 'Aisha' });
		await feed.stop();
	});

	it('on stop, hands over everything it holds', async () => {
		const { feed, calls } = testFeed();
		feed.seen('d1', Array.from({ length: 1_200 }, (_, i) => seen(`S${i}`)));
		await feed.stop();
		expect(handedOver(calls)).toHaveLength(1_200);
	});
});
