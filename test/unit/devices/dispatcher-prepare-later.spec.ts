import { Errors } from 'moleculer';
import { describe, expect, it } from 'vitest';
import { MessageTooLongError } from '../../../services/messages/render.ts';
import type { SendResult } from '../../../services/messages/outbox.ts';
import { acceptingActor, claimedMessage, testDispatcher } from '../../helpers/dispatcher.ts';

describe('a message the node cannot prepare yet stays queued; one that can never be sent fails', () => {
	it('records pending for a passing outage and failed for a lasting reason, sending none of them', async () => {
		const recorded: SendResult[] = [];
		const sent: string[] = [];
		const failures: Record<string, Error> = {
			m1: new Errors.RequestTimeoutError({ action: 'users.sendingSettings', nodeID: 'node-b' }),
			m2: new Errors.ServiceNotAvailableError({ action: 'media.content' }),
			m3: new Error('Connection terminated unexpectedly'),
			m4: new MessageTooLongError(5000),
			m5: new Errors.MoleculerClientError('No such image.', 404, 'NOT_FOUND'),
		};
		const dispatcher = testDispatcher(acceptingActor(sent), [1, 2, 3, 4, 5].map(claimedMessage), {
			prepare: async m => {
				throw failures[m.id];
			},
			record: async results => void recorded.push(...results),
		});
		dispatcher.start();
		await expect.poll(() => recorded.length).toBe(5);
		await dispatcher.stop();
		expect(sent).toEqual([]);
		expect(Object.fromEntries(recorded.map(r => [r.id, r.status]))).toEqual({ m1: 'pending', m2: 'pending', m3: 'pending', m4: 'failed', m5: 'failed' });
	});
});
