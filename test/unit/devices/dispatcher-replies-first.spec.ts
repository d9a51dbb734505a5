import { describe, expect, it } from 'vitest';
import { acceptingActor, claimedMessage, claimedReply, NO_GAPS, testDispatcher } from '../../helpers/dispatcher.ts';

describe("a person's reply from the inbox goes ahead of the number's queue", () => {
	it('is not held by the random gap nor by the hourly cap, while the campaign behind it is', async () => {
		const queue = [claimedMessage(1), claimedMessage(2), claimedMessage(3)];
		const sent: string[] = [];
		const pacing = { ...NO_GAPS, minDelaySeconds: 60, maxDelaySeconds: 60, hourlyCap: 1 };
		const dispatcher = testDispatcher(acceptingActor(sent), queue, { pacing: async () => new Map([['d1', pacing]]) }, { pollMs: 60_000 });
		dispatcher.start();
		await expect.poll(() => sent).toEqual(['m1']);
		// A reply written now: the number waits a minute (and is at its cap) for the campaign, not for the reply.
		queue.push(claimedReply(4), claimedReply(5));
		dispatcher.wake(['d1'], true);
		await expect.poll(() => sent, { timeout: 2_000 }).toEqual(['m1', 'm4', 'm5']);
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(sent).toEqual(['m1', 'm4', 'm5']);
		await dispatcher.stop();
	});

	it('goes before campaign messages claimed in the same round', async () => {
		const queue = [claimedMessage(1), claimedReply(2)];
		const sent: string[] = [];
		const dispatcher = testDispatcher(acceptingActor(sent), queue, { pacing: async () => new Map([['d1', NO_GAPS]]) });
		dispatcher.start();
		await expect.poll(() => sent).toEqual(['m2', 'm1']);
		await dispatcher.stop();
	});
});
