import fs from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { pgliteDatabase, tempDir, type TestDatabase } from './databases.ts';
import { startNode, type TestNode, type TestNodeOptions } from './node.ts';

/** Debian's chromium; `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Browser tests run where chromium is installed, and always in CI (which installs it). */
export function browserTestsEnabled(): boolean {
	return fs.existsSync(CHROMIUM) || Boolean(process.env.CI);
}

/** A fresh headless browser profile; closing it removes the profile. */
export async function openBrowser(viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
	const profile = tempDir('fc-chromium-');
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		viewport,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	return {
		context,
		async close() {
			await context.close();
			fs.rmSync(profile, { recursive: true, force: true });
		},
	};
}

/** Signs up through the registration form, as a person would, and waits until the page's live connection is up. */
export async function registerThroughForm(page: Page, baseUrl: string, user: { name: string; email: string }): Promise<void> {
	await page.goto(`${baseUrl}/register`);
	await page.getByLabel('Name').fill(user.name);
	await page.getByLabel('Email').fill(user.email);
	await page.getByLabel('Password').fill('a long enough password');
	await page.getByRole('button', { name: 'Create account' }).click();
	await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor();
}

export interface BrowserTestbed {
	db: TestDatabase;
	node: TestNode;
	browser: Awaited<ReturnType<typeof openBrowser>>;
	/** One page of the browser, open from the start. */
	page: Page;
}

/**
 * A node on a fresh PGlite database and a headless browser with one page, for the tests of one
 * file (started in beforeAll, stopped in afterAll). `node` gives the node's services and settings;
 * it is called in beforeAll, after the file's earlier hooks (a double started there is up).
 */
export function browserTestbed(node: (db: TestDatabase) => Omit<TestNodeOptions, 'db'> = () => ({})): BrowserTestbed {
	const bed = {} as BrowserTestbed;
	beforeAll(async () => {
		bed.db = pgliteDatabase();
		bed.node = await startNode({ db: bed.db, ...node(bed.db) });
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
