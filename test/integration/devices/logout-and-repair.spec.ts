import { describe, expect, it } from 'vitest';
import { deviceTestbed, linkDevice, waitForDevice } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';

describe('logging out and unlinking', () => {
	const bed = deviceTestbed();

	it('logout unlinks the companion from the phone, keeps the number, and the device can be paired again', async () => {
		const user = new Client(bed.node.url);
		await user.register();
		const { id, jid, phone } = await linkDevice(user, bed.double, 'Front desk');

		const out = await user.post(`/api/devices/${id}/logout`);
		expect(out.status).toBe(200);
		const loggedOut = await waitForDevice(user, id, d => d.status === 'logged_out');
		expect(loggedOut).toMatchObject({ phone: phone.phone, jid, statusReason: 'Logged out' });
		expect(phone.devices()).toEqual([]);
		expect((await user.post(`/api/devices/${id}/reconnect`)).status).toBe(409);
		expect((await user.post(`/api/devices/${id}/logout`)).status).toBe(409);

		const pairing = await user.post(`/api/devices/${id}/pair`, { method: 'qr' });
		expect(pairing.body.qr).toBeTruthy();
		const newJid = await phone.scan(pairing.body.qr);
		expect(newJid).not.toBe(jid);
		await waitForDevice(user, id, d => d.status === 'online' && d.jid === newJid);
		bed.double.assertNoConflicts();
	});

	it('unlinking from the phone shows logged_out live in the dashboard', async () => {
		const user = new Client(bed.node.url);
		await user.register();
		const socket = await LiveSocket.open(bed.node.url, { cookie: user.cookie! });
		const { id, jid, phone } = await linkDevice(user, bed.double, 'Unlinked');
		phone.unlink(jid);
		const frame = await socket.next(f => f.type === 'device.status-changed' && f.payload.deviceId === id && f.payload.status === 'logged_out', 15_000);
		expect(frame.payload).toMatchObject({ previous: 'online', reason: expect.stringMatching(/Unlinked from the phone/) });
		expect((await user.get(`/api/devices/${id}`)).body.node).toBeNull();
		socket.close();
	});
});
