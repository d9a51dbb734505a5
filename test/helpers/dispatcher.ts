import type { DeviceActor } from '../../services/devices/device.actor.ts';
import { Dispatcher, type DispatchDeps, type DispatchOptions } from '../../services/devices/dispatcher.ts';
import type { DevicePacing } from '../../services/devices/pacing.ts';
import type { ClaimedMessage } from '../../services/messages/outbox.ts';

/** Pacing that lets a number send at once, all day. */
export const NO_GAPS: DevicePacing = {
	minDelaySeconds: 0,
	maxDelaySeconds: 0,
	hourlyCap: 1_000,
	dailyCap: 1_000,
	warmUp: false,
	quietStartMinute: null,
	quietEndMinute: null,
	timeZone: 'UTC',
	since: 0,
};

/** The n-th message claimed for device `d1`, a campaign's. */
export function claimedMessage(n: number): ClaimedMessage {
	return claimedOf(n, 'campaign');
}

/** The n-th message claimed for device `d1`, a person's reply from the inbox. */
export function claimedReply(n: number): ClaimedMessage {
	return claimedOf(n, 'inbox');
}

function claimedOf(n: number, source: ClaimedMessage['source']): ClaimedMessage {
	return {
		id: `m${n}`,
		userId: 'u',
		deviceId: 'd1',
		source,
		sourceId: 's',
		key: `k${n}`,
		leadId: null,
		recipient: `+6012347000${n}`,
		body: 'Hi',
		mediaId: null,
		epoch: 1,
	};
}

/** An online actor for device `d1` whose every send succeeds, recording the ids it sent. */
export function acceptingActor(sent: string[]): DeviceActor {
	return {
		deviceId: 'd1',
		epoch: 1,
		canSend: true,
		send: async (outgoing: { id: string }) => (sent.push(outgoing.id), { status: 'sent' as const }),
		typeFor: async () => undefined,
	} as unknown as DeviceActor;
}

/** A dispatcher for one actor over an outbox of `queue`, with quick loops and no typing; `deps` replaces any collaborator. */
export function testDispatcher(actor: DeviceActor, queue: ClaimedMessage[], deps: Partial<DispatchDeps> = {}, options: Partial<DispatchOptions> = {}): Dispatcher {
	return new Dispatcher(
		{
			nodeId: 'node-a',
			outboxAvailable: () => true,
			actors: () => [actor],
			// As the outbox claims: a reply from the inbox first; only replies while the number's pacing holds it.
			claim: async ([request]) => {
				const urgent = queue.findIndex(m => m.source === 'inbox');
				const index = urgent >= 0 ? urgent : request?.urgentOnly ? -1 : queue.length ? 0 : -1;
				return index < 0 ? [] : queue.splice(index, 1);
			},
			record: async () => undefined,
			receipts: async () => undefined,
			failInterrupted: async () => undefined,
			pacing: async () => new Map([[actor.deviceId, NO_GAPS]]),
			recentSends: async () => new Map(),
			prepare: async m => ({ outgoing: { to: m.recipient.slice(1), id: m.id, text: m.body ?? '' }, mediaId: null, minDelaySeconds: 0, maxDelaySeconds: 0 }),
			logger: { warn: () => undefined, error: () => undefined },
			...deps,
		},
		{ pollMs: 50, claimBatch: 10, flushMs: 10, sweepMs: 30_000, typing: false, newChatPauseMs: 3_600_000, ...options },
	);
}
