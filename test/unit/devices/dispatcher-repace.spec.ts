import { describe, expect, it } from 'vitest';
import type { DeviceActor } from '../../../services/devices/device.actor.ts';
import { Dispatcher, type DevicePacing } from '../../../services/devices/dispatcher.ts';
import type { ClaimedMessage } from '../../../services/messages/outbox.ts';

const SLOW: DevicePacing = {
	minDelaySeconds: 60,
	maxDelaySeconds: 60,
	hourlyCap: 1_000,
	dailyCap: 1_000,
	warmUp: false,
	quietStartMinute: null,
	quietEndMinute: null,
	timeZone: 'UTC',
	since: 0,
};
const FAST = { ...SLOW, minDelaySeconds: 0, maxDelaySeconds: 0 };

function message(n: number): ClaimedMessage {
	return {
		id: `m${n}`,
		userId: 'u',
		deviceId: 'd1',
		campaignId: null,
		recipient: `+6012347000${n}`,
		body: 'Hi',
		vars: {},
		greeting: 'none',
		mediaId: null,
		imageUrl: null,
		waMessageId: `W${n}`,
		minDelaySeconds: 0,
		maxDelaySeconds: 0,
		epoch: 1,
	};
}

describe('the dispatcher applies a pacing edit that arrives while it loads the number', () => {
	it('uses the edit, not the pacing it read just before it', async () => {
		const queue = [1, 2, 3].map(message);
		const sent: string[] = [];
		const actor = {
			deviceId: 'd1',
			epoch: 1,
			canSend: true,
			send: async (outgoing: { id: string }) => (sent.push(outgoing.id), { status: 'sent' as const }),
		} as unknown as DeviceActor;
		// The number's pacing is read before the edit is saved, and the read returns after the edit's event.
		let reading!: () => void;
		let answer!: () => void;
		const readBegun = new Promise<void>(resolve => (reading = resolve));
		const edited = new Promise<void>(resolve => (answer = resolve));
		const dispatcher = new Dispatcher(
			{
				nodeId: 'node-a',
				outboxAvailable: () => true,
				actors: () => [actor],
				claim: async () => (queue.length ? [queue.shift()!] : []),
				record: async () => undefined,
				receipts: async () => undefined,
				failInterrupted: async () => undefined,
				pacing: async () => {
					reading();
					await edited;
					return new Map([['d1', SLOW]]);
				},
				recentSends: async () => new Map(),
				prepare: async m => ({ to: m.recipient.slice(1), id: m.waMessageId, text: m.body }),
				logger: { warn: () => undefined, error: () => undefined },
			},
			{ pollMs: 50, claimBatch: 10, flushMs: 10 },
		);
		dispatcher.start();
		await readBegun;
		dispatcher.repace('d1', FAST);
		answer();

		const deadline = Date.now() + 5_000;
		while (sent.length < 3 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
		await dispatcher.stop();
		expect(sent).toEqual(['W1', 'W2', 'W3']);
	});
});
