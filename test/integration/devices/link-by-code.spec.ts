import { describe, expect, it } from 'vitest';
import { deviceTestbed, waitForDevice } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';

describe('linking a device with a pairing code typed into the phone', () => {
	const bed = deviceTestbed();

	it('shows an 8-character code, and the device is online once the phone enters it', async () => {
		const user = new Client(bed.node.url);
		await user.register();
		const socket = await LiveSocket.open(bed.node.url, { cookie: user.cookie! });
		const { body: device } = await user.post('/api/devices', { name: 'By code' });
		const phone = bed.double.addAccount({ phone: '60123000111' });

		const pairing = await user.post(`/api/devices/${device.id}/pair`, { method: 'code', phone: '+60 12-300 0111' });
		expect(pairing.status).toBe(200);
		expect(pairing.body).toMatchObject({ status: 'pairing', qr: null });
		expect(pairing.body.pairingCode).toMatch(/^[0-9A-Z]{8}$/);
		const event = await socket.next(f => f.type === 'device.pairing-code' && f.payload.deviceId === device.id);
		expect(event.payload.code).toBe(pairing.body.pairingCode);

		const jid = await phone.enterCode(pairing.body.pairingCode);
		const online = await waitForDevice(user, device.id, d => d.status === 'online');
		expect(online).toMatchObject({ phone: '60123000111', jid });
		socket.close();
	});

	it('refuses bad input with a reason and changes nothing', async () => {
		const user = new Client(bed.node.url);
		await user.register();
		const { body: device } = await user.post('/api/devices', { name: 'Typo' });
		const badPhone = await user.post(`/api/devices/${device.id}/pair`, { method: 'code', phone: '12' });
		expect(badPhone.status).toBe(400);
		expect(badPhone.body.error.fields).toEqual([{ field: 'phone', message: expect.stringMatching(/country code/) }]);
		expect((await user.post(`/api/devices/${device.id}/pair`, { method: 'carrier-pigeon' })).status).toBe(400);
		expect((await user.get(`/api/devices/${device.id}`)).body.status).toBe('new');
		const unnamed = await user.post('/api/devices', { name: '  ' });
		expect(unnamed.body.error.fields).toEqual([{ field: 'name', message: 'Give the device a name.' }]);
		const slow = await user.patch(`/api/devices/${device.id}`, { pacing: { minDelaySeconds: 90, maxDelaySeconds: 30 } });
		expect(slow.status).toBe(400);
		expect(slow.body.error.fields).toEqual([{ field: 'pacing', message: expect.stringMatching(/minimum delay/) }]);
		expect((await user.get(`/api/devices/${device.id}`)).body.pacing).toMatchObject({ minDelaySeconds: 20, maxDelaySeconds: 60 });
	});
});
