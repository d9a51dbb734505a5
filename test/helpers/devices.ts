import type { ServiceSchema } from 'moleculer';
import { asSchema } from '../../mixins/service-schema.ts';
import DevicesService from '../../services/devices/devices.service.ts';
import type { DeviceDto, DeviceStatus } from '../../services/devices/devices.params.ts';
import { preferredNode } from '../../services/devices/leases.ts';
import GatewayService from '../../services/gateway/gateway.service.ts';
import UsersService from '../../services/users/users.service.ts';
import { afterAll, beforeAll } from 'vitest';
import { WhatsAppDouble, type DoubleEndpoint, type Phone } from '../../services/whatsapp-double/index.ts';
import { pgliteDatabase, postgresDatabase, type TestDatabase } from './databases.ts';
import type { Client } from './http.ts';
import { startNode, type TestNode } from './node.ts';

export const DEVICE_NODE_SERVICES: ServiceSchema[] = [asSchema(UsersService), asSchema(GatewayService), asSchema(DevicesService)];

/** Device settings for tests: quick retries, no start-up spread. */
export function testDeviceSettings(double: DoubleEndpoint, overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return { whatsapp: double, backoffBaseMs: 100, backoffMaxMs: 1_000, startJitterMs: 0, ...overrides };
}

/** A node with users, gateway and devices, its devices pointed at the double. */
export function startDeviceNode(db: TestDatabase, double: DoubleEndpoint, options: { nodeID?: string; transporter?: 'Fake'; devices?: Record<string, unknown>; services?: ServiceSchema[] } = {}): Promise<TestNode> {
	return startNode({
		db,
		nodeID: options.nodeID,
		transporter: options.transporter,
		services: options.services ?? DEVICE_NODE_SERVICES,
		settings: { devices: testDeviceSettings(double, options.devices) },
	});
}

/** Polls the device through the API until `check` passes. */
export async function waitForDevice(client: Client, id: string, check: (device: DeviceDto) => boolean, timeoutMs = 20_000): Promise<DeviceDto> {
	const deadline = Date.now() + timeoutMs;
	let last: DeviceDto | undefined;
	while (Date.now() < deadline) {
		const { status, body } = await client.get(`/api/devices/${id}`);
		if (status === 200) {
			last = body;
			if (check(body)) return body;
		}
		await new Promise(resolve => setTimeout(resolve, 100));
	}
	throw new Error(`Device ${id} did not reach the expected state in ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
}

export const withStatus = (status: DeviceStatus) => (device: DeviceDto) => device.status === status;

/** Creates a device through the API and links it by QR with a new account of the double. */
export async function linkDevice(client: Client, double: WhatsAppDouble, name = 'Device'): Promise<{ id: string; jid: string; phone: Phone }> {
	const { body: device } = await client.post('/api/devices', { name });
	const { body: pairing } = await client.post(`/api/devices/${device.id}/pair`, { method: 'qr' });
	if (!pairing.qr) throw new Error(`pairing gave no QR: ${JSON.stringify(pairing)}`);
	const phone = double.addAccount();
	const jid = await phone.scan(pairing.qr);
	await waitForDevice(client, device.id, d => d.status === 'online' && double.onlineDevices().includes(jid));
	return { id: device.id, jid, phone };
}

export interface DeviceTestbed {
	double: WhatsAppDouble;
	db: TestDatabase;
	node: TestNode;
}

/**
 * A double and one device node on a fresh database for the tests of one file (started in
 * beforeAll, stopped in afterAll). `node` may be replaced by a test that restarts it.
 */
export function deviceTestbed(options: { postgres?: boolean; devices?: Record<string, unknown> } = {}): DeviceTestbed {
	const bed = { double: new WhatsAppDouble() } as DeviceTestbed;
	beforeAll(async () => {
		await bed.double.start();
		bed.db = options.postgres ? await postgresDatabase() : pgliteDatabase();
		bed.node = await startDeviceNode(bed.db, bed.double.endpoint, { devices: options.devices });
	});
	afterAll(async () => {
		await bed.node?.stop();
		await bed.db?.drop();
		await bed.double.stop();
	});
	return bed;
}

/**
 * Waits until every one of `ids` is online on its preferred node among `nodes`: placement has
 * settled, so no number moves between nodes while a test sends (usable in a beforeAll, unlike expect.poll).
 */
export async function untilPlacementSettled(client: Client, ids: string[], nodes: string[], timeoutMs = 30_000): Promise<void> {
	const settled = async () => (await Promise.all(ids.map(async id => (await client.get<DeviceDto & { node: string | null }>(`/api/devices/${id}`)).body))).every((d, i) => d.status === 'online' && d.node === preferredNode(ids[i]!, nodes));
	for (const deadline = Date.now() + timeoutMs; !(await settled()); await new Promise(resolve => setTimeout(resolve, 200))) {
		if (Date.now() > deadline) throw new Error(`placement did not settle within ${timeoutMs / 1000} s`);
	}
}
