import { beforeAll, describe, expect, it } from 'vitest';
import { deviceTestbed, linkDevice, waitForDevice } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';

describe('what WhatsApp does to a device shows as its status', () => {
	const bed = deviceTestbed({ devices: { maxRestarts: 3, backoffBaseMs: 200, backoffMaxMs: 400 } });
	let user: Client;
	beforeAll(async () => {
		user = new Client(bed.node.url);
		await user.register();
	});

	it('a dropped connection reconnects by itself, with the session, through reconnecting', async () => {
		const socket = await LiveSocket.open(bed.node.url, { cookie: user.cookie! });
		const { id, jid, phone } = await linkDevice(user, bed.double, 'Dropped');
		bed.double.faults.dropConnection(phone);
		await socket.next(f => f.type === 'device.status-changed' && f.payload.deviceId === id && f.payload.status === 'reconnecting', 10_000);
		await waitForDevice(user, id, d => d.status === 'online' && bed.double.onlineDevices().includes(jid));
		expect(bed.double.events.list('device.linked').filter(e => e.device === jid)).toHaveLength(1);
		socket.close();
	});

	it('a number that keeps failing goes offline with the reason after the cap on restarts, and reconnect brings it back', async () => {
		const { id, jid, phone } = await linkDevice(user, bed.double, 'Silenced');
		bed.double.faults.ban(phone, 503);
		const offline = await waitForDevice(user, id, d => d.status === 'offline', 30_000);
		expect(offline.statusReason).toMatch(/Gave up after 3 failed attempts/);
		bed.double.faults.unban(phone);
		expect((await user.post(`/api/devices/${id}/reconnect`)).status).toBe(200);
		await waitForDevice(user, id, d => d.status === 'online' && bed.double.onlineDevices().includes(jid));
	});

	it('a ban shows as banned and the device stops trying', async () => {
		const socket = await LiveSocket.open(bed.node.url, { cookie: user.cookie! });
		const { id, phone } = await linkDevice(user, bed.double, 'Banned');
		const refusedBefore = bed.double.events.list('login.refused').length;
		bed.double.faults.ban(phone);
		const frame = await socket.next(f => f.type === 'device.status-changed' && f.payload.deviceId === id && f.payload.status === 'banned', 10_000);
		expect(frame.payload.reason).toMatch(/403/);
		const device = await waitForDevice(user, id, d => d.status === 'banned' && d.statusReason !== null);
		expect(device.phone).toBe(phone.phone);
		// Banned is final: no login attempts follow (the live ban closed the socket without one).
		expect(bed.double.events.list('login.refused').length).toBe(refusedBefore);
		expect((await user.get(`/api/devices/${id}`)).body.node).toBeNull();
		socket.close();
	});
});
