import { describe, expect, it } from 'vitest';
import { deviceTestbed, startDeviceNode, waitForDevice, withStatus } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';

describe('a device linked by QR through the API comes back online after a restart, with no QR', () => {
	const bed = deviceTestbed();

	it('links, survives a restart of Fleetcast, and never has two sockets', async () => {
		const user = new Client(bed.node.url);
		await user.register();
		const socket = await LiveSocket.open(bed.node.url, { cookie: user.cookie! });
		const created = await user.post('/api/devices', { name: 'Sales 1' });
		expect(created.status).toBe(201);
		expect(created.body).toMatchObject({ name: 'Sales 1', status: 'new', phone: null, pacing: { hourlyCap: 80, dailyCap: 800 } });
		const id = created.body.id;

		const pairing = await user.post(`/api/devices/${id}/pair`, { method: 'qr' });
		expect(pairing.status).toBe(200);
		expect(pairing.body.status).toBe('pairing');
		expect(pairing.body.qr).toMatch(/#2@/);
		const qrFrame = await socket.next(f => f.type === 'device.qr' && f.payload.deviceId === id && f.payload.qr);
		expect(qrFrame.payload.qr).toBe(pairing.body.qr);
		expect((await user.get(`/api/devices/${id}/qr`)).body.qr).toBe(pairing.body.qr);

		const phone = bed.double.addAccount({ phone: '15550100001' });
		const jid = await phone.scan(pairing.body.qr);
		const linked = await socket.next(f => f.type === 'device.linked' && f.payload.deviceId === id, 20_000);
		expect(linked.payload).toMatchObject({ phone: '15550100001', jid });
		await socket.next(f => f.type === 'device.status-changed' && f.payload.deviceId === id && f.payload.status === 'online', 20_000);
		const online = await waitForDevice(user, id, withStatus('online'));
		expect(online).toMatchObject({ phone: '15550100001', jid });
		expect(online.lastSeenAt).not.toBeNull();
		socket.close();

		await bed.node.stop();
		expect(bed.double.onlineDevices()).not.toContain(jid);
		const qrsBefore = bed.double.events.list('qr.refs-issued').length;
		bed.node = await startDeviceNode(bed.db, bed.double.endpoint);
		const again = new Client(bed.node.url);
		again.cookie = user.cookie;
		await waitForDevice(again, id, device => device.status === 'online' && bed.double.onlineDevices().includes(jid));
		expect(bed.double.events.list('qr.refs-issued').length).toBe(qrsBefore);
		bed.double.assertNoConflicts();
	});
});
