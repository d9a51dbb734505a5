import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { deviceTestbed, linkDevice } from '../../helpers/devices.ts';
import { Client, LiveSocket } from '../../helpers/http.ts';

describe('deleting a device', () => {
	const bed = deviceTestbed({ postgres: true });

	it('shows what will go, logs out from the phone, and removes the device with every row that references it', async () => {
		const user = new Client(bed.node.url);
		await user.register();
		const socket = await LiveSocket.open(bed.node.url, { cookie: user.cookie! });
		const { id, phone } = await linkDevice(user, bed.double, 'To delete');

		const details = await user.get(`/api/devices/${id}`);
		expect(details.body.node).toBe(bed.node.broker.nodeID);
		expect(details.body.deleteRemoves).toMatchObject({ devices: 1, device_leases: 1 });
		expect(details.body.deleteRemoves.device_auth_keys).toBeGreaterThan(800);

		expect((await user.delete(`/api/devices/${id}`)).status).toBe(204);
		await socket.next(f => f.type === 'device.deleted' && f.payload.deviceId === id);
		expect(phone.devices()).toEqual([]);
		expect((await user.get(`/api/devices/${id}`)).status).toBe(404);
		expect((await user.get('/api/devices')).body).toEqual([]);

		const client = new pg.Client({ connectionString: bed.db.databaseUrl });
		await client.connect();
		try {
			for (const table of ['devices', 'device_leases', 'device_auth_keys']) {
				const column = table === 'devices' ? 'id' : 'device_id';
				const { rows } = await client.query(`select count(*)::int as n from ${table} where ${column} = $1`, [id]);
				expect(rows[0].n, table).toBe(0);
			}
		} finally {
			await client.end();
		}
		socket.close();
	});
});
