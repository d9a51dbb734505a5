import { describe, expect, it } from 'vitest';
import { acceptingActor, claimedMessage, NO_GAPS, testDispatcher } from '../../helpers/dispatcher.ts';

const SLOW = { ...NO_GAPS, minDelaySeconds: 60, maxDelaySeconds: 60 };
const FAST = NO_GAPS;

describe('the dispatcher applies a pacing edit that arrives while it loads the number', () => {
	it('uses the edit, not the pacing it read just before it', async () => {
		const queue = [1, 2, 3].map(claimedMessage);
		const sent: string[] = [];
		// The number's pacing is read before the edit is saved, and the read returns after the edit's event.
		let reading!: () => void;
		let answer!: () => void;
		const readBegun = new Promise<void>(resolve => (reading = resolve));
		const edited = new Promise<void>(resolve => (answer = resolve));
		const dispatcher = testDispatcher(acceptingActor(sent), queue, {
			pacing: async () => {
				reading();
				await edited;
				return new Map([['d1', SLOW]]);
			},
		});
		dispatcher.start();
		await readBegun;
		dispatcher.repace('d1', FAST);
		answer();

		await expect.poll(() => sent.length, { timeout: 5_000 }).toBe(3);
		await dispatcher.stop();
		expect(sent).toEqual(['m1', 'm2', 'm3']);
	});
});

describe('a pacing edit plans the number’s queue again at once', () => {
	it('sends what a cap held as soon as the cap is raised, not when the old cap would have let it', async () => {
		const queue = [1, 2, 3].map(claimedMessage);
		const sent: string[] = [];
		const dispatcher = testDispatcher(acceptingActor(sent), queue, { pacing: async () => new Map([['d1', { ...NO_GAPS, hourlyCap: 1 }]]) }, { pollMs: 60_000 });
		dispatcher.start();
		await expect.poll(() => sent.length).toBe(1);
		// Held for an hour by the cap; the loop sleeps until then.
		await new Promise(resolve => setTimeout(resolve, 200));
		expect(sent).toEqual(['m1']);
		dispatcher.repace('d1', { hourlyCap: 80 });
		await expect.poll(() => sent.length, { timeout: 2_000 }).toBe(3);
		await dispatcher.stop();
	});

	it('holds what a lowered cap now holds, counting the sends already made', async () => {
		const queue = [1, 2, 3, 4].map(claimedMessage);
		const sent: string[] = [];
		const dispatcher = testDispatcher(acceptingActor(sent), queue, { pacing: async () => new Map([['d1', { ...NO_GAPS, minDelaySeconds: 1, maxDelaySeconds: 1 }]]) }, { pollMs: 60_000 });
		dispatcher.start();
		await expect.poll(() => sent.length).toBe(1);
		dispatcher.repace('d1', { hourlyCap: 2 });
		await expect.poll(() => sent.length, { timeout: 3_000 }).toBe(2);
		await new Promise(resolve => setTimeout(resolve, 1_500));
		expect(sent).toEqual(['m1', 'm2']);
		await dispatcher.stop();
	});
});
