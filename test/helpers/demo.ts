import path from 'node:path';
import { asSchema } from '../../mixins/service-schema.ts';
import DemoService from '../../services/demo/demo.service.ts';
import { browserTestbed, type BrowserTestbed } from './browser.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS } from './campaigns.ts';
import type { TestDatabase } from './databases.ts';
import type { ServiceSchema } from 'moleculer';
import type { Page } from 'playwright-core';
import { NO_PACING } from './campaigns.ts';

/** What a node needs to run as `npm run demo` runs one: the demo service with its double, and demo devices. */
export function demoNode(db: TestDatabase, services: ServiceSchema[] = CAMPAIGN_NODE_SERVICES) {
	return {
		services: [...services, asSchema(DemoService)],
		settings: {
			...FAST_CAMPAIGN_SETTINGS,
			devices: { demo: true, startJitterMs: 0 },
			demo: { statePath: path.join(db.dataDir, 'demo-whatsapp.json') },
		},
	};
}

/**
 * A node as `npm run demo` runs one (every campaign service and the demo service with its double,
 * on PGlite, with quick loops) and a browser page, for the tests of one file.
 */
export function demoTestbed(): BrowserTestbed {
	return browserTestbed(db => demoNode(db));
}

/**
 * Through the signed-in page's API: a device that sends without pacing, linked by a demo phone,
 * online. Answers its id and number (digits).
 */
export async function linkedDemoDevice(page: Page, baseUrl: string, name: string): Promise<{ id: string; phone: string }> {
	const call = async (method: 'post' | 'patch', route: string, data?: object) => {
		const res = await page.request[method](`${baseUrl}${route}`, { data });
		if (!res.ok()) throw new Error(`${method.toUpperCase()} ${route}: ${res.status()} ${await res.text()}`);
		return res.json();
	};
	const device = await call('post', '/api/devices', { name });
	await call('patch', `/api/devices/${device.id}`, { pacing: NO_PACING });
	await call('post', `/api/devices/${device.id}/pair`, { method: 'qr' });
	await call('post', `/api/demo/devices/${device.id}/link`);
	const deadline = Date.now() + 30_000;
	for (;;) {
		const now = await (await page.request.get(`${baseUrl}/api/devices/${device.id}`)).json();
		if (now.status === 'online') return { id: device.id, phone: now.phone };
		if (Date.now() > deadline) throw new Error(`device ${name} did not come online: ${now.status}`);
		await new Promise(resolve => setTimeout(resolve, 200));
	}
}
