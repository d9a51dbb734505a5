import type { ServiceSchema } from 'moleculer';
import { afterAll, beforeAll } from 'vitest';
import { asSchema } from '../../mixins/service-schema.ts';
import LeadsService from '../../services/leads/leads.service.ts';
import { DEVICE_NODE_SERVICES } from './devices.ts';
import { createDatabase, type TestDatabase } from './databases.ts';
import { Client } from './http.ts';
import { startNode, type TestNode } from './node.ts';

export const LEAD_NODE_SERVICES: ServiceSchema[] = [...DEVICE_NODE_SERVICES, asSchema(LeadsService)];

export interface LeadsTestbed {
	db: TestDatabase;
	node: TestNode;
}

/** A node with users, devices (never linked: leads need only their rows) and leads, for one file's tests. */
export function leadsTestbed(target: TestDatabase['name'], leadsSettings: Record<string, unknown> = {}): LeadsTestbed {
	const bed = {} as LeadsTestbed;
	beforeAll(async () => {
		bed.db = await createDatabase(target);
		bed.node = await startNode({ db: bed.db, services: LEAD_NODE_SERVICES, settings: { leads: leadsSettings } });
	});
	afterAll(async () => {
		await bed.node?.stop();
		await bed.db?.drop();
	});
	return bed;
}

/** A fresh account with the given default country and devices; answers the client and the device ids by name. */
export async function tenantWithDevices(url: string, deviceNames: string[], country: string | null = 'MY') {
	const client = new Client(url);
	const user = await client.register();
	if (country) await client.patch('/api/me/settings', { country });
	const devices: Record<string, string> = {};
	for (const name of deviceNames) {
		const res = await client.post('/api/devices', { name });
		if (res.status !== 201) throw new Error(`device ${name}: ${res.status} ${JSON.stringify(res.body)}`);
		devices[name] = res.body.id;
	}
	return { client, user, devices };
}

/** POSTs a CSV import as a file would be sent. */
export function importCsv(client: Client, csv: string, query = '') {
	return client.request('POST', `/api/leads/import${query}`, csv, { 'content-type': 'text/csv' });
}
