import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { asSchema } from '../../mixins/service-schema.ts';
import DemoService from '../../services/demo/demo.service.ts';
import { openBrowser } from './browser.ts';
import { CAMPAIGN_NODE_SERVICES, FAST_CAMPAIGN_SETTINGS } from './campaigns.ts';
import { pgliteDatabase, type TestDatabase } from './databases.ts';
import { startNode, type TestNode } from './node.ts';

export interface DemoTestbed {
	db: TestDatabase;
	node: TestNode;
	browser: Awaited<ReturnType<typeof openBrowser>>;
	page: Page;
}

/**
 * A node as `npm run demo` runs one (every campaign service and the demo service with its double,
 * on PGlite, with quick loops) and a browser page, for the tests of one file.
 */
export function demoTestbed(): DemoTestbed {
	const bed = {} as DemoTestbed;
	beforeAll(async () => {
		bed.db = pgliteDatabase();
		bed.node = await startNode({
			db: bed.db,
			services: [...CAMPAIGN_NODE_SERVICES, asSchema(DemoService)],
			settings: {
				...FAST_CAMPAIGN_SETTINGS,
				devices: { demo: true, startJitterMs: 0 },
				demo: { statePath: path.join(bed.db.dataDir, 'demo-whatsapp.json') },
			},
		});
		bed.browser = await openBrowser();
		bed.page = await bed.browser.context.newPage();
	});
	afterAll(async () => {
		await bed.browser?.close();
		await bed.node?.stop();
		await bed.db?.drop();
	});
	return bed;
}
