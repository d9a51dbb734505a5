import { describe, expect, it } from 'vitest';
import { deviceTestbed, linkDevice } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';

describe("another user can't see, change, pair or hear about a device", () => {
	const bed = deviceTestbed();

	it("gets 404 for every route of Alice's device and none of its events", async () => {
		const alice = new Client(bed.node.url);
		await alice.register();
		const bob = new Client(bed.node.url);
		await bob.register();
		const bobSocket = await LiveSocket.open(bed.node.url, { cookie: bob.cookie! });
		await bobSocket.next(f => f.type === 'hello');

		const { id, jid, phone } = await linkDevice(alice, bed.double, 'Alice only');
		const { body: pending } = await alice.post('/api/devices', { name: 'Alice pairing' });
		await alice.post(`/api/devices/${pending.id}/pair`, { method: 'qr' });

		expect((await bob.get('/api/devices')).body).toEqual([]);
		for (const target of [id, pending.id]) {
			const attempts = [
				bob.get(`/api/devices/${target}`),
				bob.get(`/api/devices/${target}/qr`),
				bob.patch(`/api/devices/${target}`, { name: 'Mine now' }),
				bob.post(`/api/devices/${target}/pair`, { method: 'qr' }),
				bob.post(`/api/devices/${target}/reconnect`),
				bob.post(`/api/devices/${target}/logout`),
				bob.delete(`/api/devices/${target}`),
			];
			for (const result of await Promise.all(attempts)) expect(result.status).toBe(404);
		}
		expect((await alice.get(`/api/devices/${id}`)).body).toMatchObject({ name: 'Alice only', status: 'online' });
		expect(bed.double.onlineDevices()).toContain(jid);
		expect(phone.devices()).toHaveLength(1);

		// Bob's own change is the first frame he gets after hello: nothing of Alice's came before it.
		await bob.post('/api/devices', { name: 'Bob device' });
		await bobSocket.next(f => f.type === 'device.updated');
		expect(bobSocket.frames.map(f => f.type)).toEqual(['hello', 'device.updated']);
		expect(bobSocket.frames[1].payload.device.name).toBe('Bob device');
		bobSocket.close();
	});

	it('without a session every devices route answers 401', async () => {
		const anonymous = new Client(bed.node.url);
		expect((await anonymous.get('/api/devices')).status).toBe(401);
		expect((await anonymous.post('/api/devices', { name: 'x' })).status).toBe(401);
	});
});
