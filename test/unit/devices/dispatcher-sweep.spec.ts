import { describe, expect, it } from 'vitest';
import { acceptingActor, testDispatcher } from '../../helpers/dispatcher.ts';

describe('the dispatcher keeps settling what earlier holders left sending, not only when a number arrives', () => {
	it('asks the outbox again for every number it holds, each sweep interval', async () => {
		const swept: { deviceId: string; epoch: number }[][] = [];
		const dispatcher = testDispatcher(acceptingActor([]), [], { failInterrupted: async devices => void swept.push(devices) }, { sweepMs: 100 });
		dispatcher.start();
		// The first call settles what the number arrived with; the later ones catch a stale claim that committed after it.
		await expect.poll(() => swept.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
		await dispatcher.stop();
		for (const devices of swept) expect(devices).toEqual([{ deviceId: 'd1', epoch: 1 }]);
	});
});
