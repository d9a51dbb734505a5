import fs from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './databases.ts';

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
