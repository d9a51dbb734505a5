import util from 'node:util';
import { SessionRecord } from 'libsignal';
import { describe, expect, it } from 'vitest';
import { keepSignalKeysOutOfLogs } from '../../../services/shared/signal-logs.ts';

describe('Signal sessions never reach a log', () => {
	it('shows a session as <SessionEntry> however it is printed, and drops libsignal’s session chatter', () => {
		// What reaches the console once the guard is in place, line by line.
		const printed: string[] = [];
		for (const level of ['info', 'warn'] as const) console[level] = (...args: unknown[]) => void printed.push(util.format(...args));
		keepSignalKeysOutOfLogs();

		const entry = (SessionRecord as unknown as { createEntry(): Record<string, unknown> }).createEntry();
		entry.currentRatchet = { rootKey: Buffer.alloc(32, 7), ephemeralKeyPair: { privKey: Buffer.alloc(32, 9) } };
		expect(util.inspect(entry)).toBe('<SessionEntry>');
		expect(util.inspect({ session: entry }, { depth: 5 })).not.toMatch(/rootKey|privKey/);

		console.info('Closing session:', entry);
		console.warn('Closing open session in favor of incoming prekey bundle');
		console.info('Device 1 is online; its session is', entry);
		expect(printed).toEqual(['Device 1 is online; its session is <SessionEntry>']);
	});
});
