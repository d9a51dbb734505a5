import { describe, expect, it } from 'vitest';
import { LocalConnectLimiter } from '../../../services/devices/connect-limiter.ts';
import { backoffMs, DeviceActor, type ActorHost } from '../../../services/devices/device.actor.ts';
import type { DeviceStatus } from '../../../services/devices/device.entity.ts';
import { NotOnWhatsAppError, NotSentError, type CloseReason, type DriverHandlers, type OutgoingMessage, type ReadKey, type WhatsAppDriver } from '../../../services/devices/whatsapp-driver.ts';

/** A driver the test plays WhatsApp for: it records connects and lets the test open or close the socket. */
class ScriptedDriver implements WhatsAppDriver {
	connects = 0;
	handlers?: DriverHandlers;
	sent: OutgoingMessage[] = [];
	/** What the next send does instead of succeeding. */
	failNext?: Error;
	async connect(handlers: DriverHandlers) {
		this.connects += 1;
		this.handlers = handlers;
	}
	async requestPairingCode() {
		return 'ABCD1234';
	}
	async logout() {
		this.handlers?.close({ kind: 'logged_out', code: 401, message: 'Intentional Logout' });
	}
	async end() {
		this.handlers?.close({ kind: 'ended', message: 'Closed by Fleetcast' });
	}
	read: ReadKey[] = [];
	async typing(): Promise<void> {}
	async markRead(keys: ReadKey[]) {
		this.read.push(...keys);
	}
	async send(message: OutgoingMessage) {
		const failure = this.failNext;
		this.failNext = undefined;
		if (failure) throw failure;
		this.sent.push(message);
	}
	open() {
		this.handlers!.open({ phone: '15550001111', jid: '15550001111:2@s.whatsapp.net', lid: null });
	}
	close(reason: CloseReason) {
		this.handlers!.close(reason);
	}
}

function recordingHost() {
	const statuses: { status: DeviceStatus; reason: string | null }[] = [];
	let cleared = 0;
	let finished = 0;
	const host: ActorHost = {
		async status(status, reason) {
			statuses.push({ status, reason });
		},
		qr() {},
		pairingCode() {},
		receipts() {},
		messages() {},
		readElsewhere() {},
		async clearSession() {
			cleared += 1;
		},
		finished() {
			finished += 1;
		},
		logger: { info() {}, warn() {}, error() {} },
	};
	return { host, statuses, cleared: () => cleared, finished: () => finished };
}

/** Polls the fake driver's state, which the actor does not announce. */
async function until(check: () => boolean): Promise<void> {
	const deadline = Date.now() + 1000;
	while (!check()) {
		if (Date.now() > deadline) throw new Error('timed out');
		await new Promise(resolve => setTimeout(resolve, 1));
	}
}

const fast = { maxRestarts: 2, backoffBaseMs: 1, backoffMaxMs: 4, stableAfterMs: 60_000 };

describe('DeviceActor', () => {
	it('goes connecting → online, and a dropped socket reconnects through reconnecting', async () => {
		const driver = new ScriptedDriver();
		const { host, statuses } = recordingHost();
		const actor = new DeviceActor('d1', 1, driver, new LocalConnectLimiter(5), host, fast);
		await actor.start({ kind: 'resume' });
		driver.open();
		await actor.waitFor(a => a.status === 'online', 1000, 'online');
		driver.close({ kind: 'lost', code: 428, message: 'Connection Closed' });
		await until(() => driver.connects === 2);
		driver.open();
		await actor.waitFor(a => a.status === 'online', 1000, 'online again');
		expect(statuses.map(s => s.status)).toEqual(['connecting', 'online', 'reconnecting', 'online']);
		await actor.stop();
	});

	it('treats 515 after pairing as a step, not a failure', async () => {
		const driver = new ScriptedDriver();
		const { host, statuses } = recordingHost();
		const actor = new DeviceActor('d2', 1, driver, new LocalConnectLimiter(5), host, { ...fast, maxRestarts: 0 });
		await actor.start({ kind: 'pair', method: 'qr' });
		driver.close({ kind: 'restart', code: 515, message: 'Stream Errored (restart required)' });
		await until(() => driver.connects === 2);
		driver.open();
		await actor.waitFor(a => a.status === 'online', 1000, 'online');
		expect(statuses.map(s => s.status)).toEqual(['pairing', 'connecting', 'online']);
		await actor.stop();
	});

	it('gives up after the cap on restarts in a row and says why', async () => {
		const driver = new ScriptedDriver();
		const { host, statuses, finished } = recordingHost();
		const actor = new DeviceActor('d3', 1, driver, new LocalConnectLimiter(5), host, fast);
		await actor.start({ kind: 'resume' });
		for (let attempt = 1; attempt <= 3; attempt++) {
			await until(() => driver.connects === attempt);
			driver.close({ kind: 'lost', code: 408, message: 'Connection was lost' });
		}
		await actor.waitFor(a => !a.running, 1000, 'the actor to finish');
		expect(statuses.at(-1)).toEqual({ status: 'offline', reason: 'Gave up after 2 failed attempts in a row: Connection was lost' });
		await until(() => finished() === 1);
	});

	it('a 401 forgets the session and ends logged_out; a 403 ends banned and keeps it', async () => {
		for (const [close, status, clears] of [
			[{ kind: 'logged_out', code: 401, message: 'Connection Failure' }, 'logged_out', 1],
			[{ kind: 'banned', code: 403, message: 'Connection Failure' }, 'banned', 0],
		] as const) {
			const driver = new ScriptedDriver();
			const { host, statuses, cleared } = recordingHost();
			const actor = new DeviceActor('d4', 1, driver, new LocalConnectLimiter(5), host, fast);
			await actor.start({ kind: 'resume' });
			driver.open();
			driver.close(close);
			await actor.waitFor(a => !a.running, 1000, 'the actor to finish');
			expect(statuses.at(-1)!.status).toBe(status);
			expect(cleared()).toBe(clears);
			expect(driver.connects).toBe(1);
		}
	});

	it('waits for a connect permit, and stop() while waiting leaves without connecting', async () => {
		const limiter = new LocalConnectLimiter(1);
		await limiter.acquire('someone-else');
		const driver = new ScriptedDriver();
		const { host } = recordingHost();
		const actor = new DeviceActor('d5', 1, driver, limiter, host, fast);
		const started = actor.start({ kind: 'resume' });
		await actor.stop();
		await started;
		expect(driver.connects).toBe(0);
		expect(limiter.inUse).toBe(1);
	});

	it('sends only while online, and says which failures may be sent again', async () => {
		const driver = new ScriptedDriver();
		const { host } = recordingHost();
		const actor = new DeviceActor('d6', 1, driver, new LocalConnectLimiter(5), host, fast);
		const message = { to: '15550002222', id: '3EB0AAA', text: 'hi' };
		expect(await actor.send(message)).toMatchObject({ status: 'pending' });
		await actor.start({ kind: 'resume' });
		expect(await actor.send(message)).toMatchObject({ status: 'pending' });
		driver.open();
		await actor.waitFor(a => a.canSend, 1000, 'online');
		expect(await actor.send(message)).toEqual({ status: 'sent' });
		expect(driver.sent).toEqual([message]);
		driver.failNext = new NotOnWhatsAppError('15550002222');
		expect(await actor.send(message)).toEqual({ status: 'failed', error: expect.stringMatching(/^not on WhatsApp/) });
		driver.failNext = new NotSentError('Connection Closed');
		expect(await actor.send(message)).toEqual({ status: 'pending', error: 'Connection Closed' });
		driver.failNext = new Error('bad media');
		expect(await actor.send(message)).toEqual({ status: 'failed', error: expect.stringContaining('bad media') });
		await actor.stop();
		expect(await actor.send(message)).toMatchObject({ status: 'pending' });
		expect(driver.sent).toHaveLength(1);
	});

	it('spreads backoff: between half and all of an exponential step, capped', () => {
		const options = { backoffBaseMs: 1000, backoffMaxMs: 8000 };
		for (let i = 0; i < 200; i++) {
			const first = backoffMs(1, options);
			expect(first).toBeGreaterThanOrEqual(500);
			expect(first).toBeLessThanOrEqual(1000);
			const tenth = backoffMs(10, options);
			expect(tenth).toBeGreaterThanOrEqual(4000);
			expect(tenth).toBeLessThanOrEqual(8000);
		}
	});
});
