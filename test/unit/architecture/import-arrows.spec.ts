import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Every source file under these folders of the repository. */
function sources(...folders: string[]): string[] {
	const out: string[] = [];
	const walk = (dir: string) => {
		for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
			const rel = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(rel);
			else if (/\.(ts|svelte|mjs)$/.test(entry.name)) out.push(rel);
		}
	};
	for (const folder of folders) walk(folder);
	return out;
}

/** The repository paths a file imports (relative imports only), resolved. */
function importsOf(file: string): string[] {
	const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
	return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map(m => path.normalize(path.join(path.dirname(file), m[1])));
}

const PRODUCT = ['services', 'mixins', 'migrations', 'web/src'];

describe('the house has no wrong-way arrows', () => {
	it('no product file imports from test/ (what the demo needs lives in services/)', () => {
		const offenders = sources(...PRODUCT).flatMap(file => importsOf(file).filter(target => target.startsWith('test/')).map(target => `${file} → ${target}`));
		expect(offenders).toEqual([]);
	});

	it('mixins/ is the ground floor: it imports nothing from the services or the migrations', () => {
		const offenders = sources('mixins').flatMap(file => importsOf(file).filter(target => !target.startsWith('mixins/')).map(target => `${file} → ${target}`));
		expect(offenders).toEqual([]);
	});

	it('services/shared/ is shared by the services, so it imports none of them', () => {
		const offenders = sources('services/shared').flatMap(file => importsOf(file).filter(target => target.startsWith('services/') && !target.startsWith('services/shared/')).map(target => `${file} → ${target}`));
		expect(offenders).toEqual([]);
	});

	it('no file of services/ or mixins/ is over 400 lines', () => {
		const long = sources('services', 'mixins')
			.map(file => [file, fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').length] as const)
			.filter(([, lines]) => lines > 400);
		expect(long).toEqual([]);
	});

	it('the code cites no document outside the repository', () => {
		const citing = sources(...PRODUCT, 'test', 'bench').filter(file => /\b(SPEC|DESIGN)\b ?(§|")/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
		expect(citing).toEqual([]);
	});
});
