import path from 'node:path';
import { asSchema } from '../../mixins/service-schema.ts';
import DemoService from '../../services/demo/demo.service.ts';
import { browserTestbed, type BrowserTestbed } from './browser.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS } from './campaigns.ts';
import type { TestDatabase } from './databases.ts';
import type { ServiceSchema } from 'moleculer';

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
