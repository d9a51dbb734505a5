import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Reply } from './http.ts';

interface StaticFile {
	body: Buffer;
	gzip?: Buffer;
	type: string;
	etag: string;
	immutable: boolean;
}

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
	'.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp', '.ico': 'image/x-icon',
	'.json': 'application/json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};

/** The built SPA, held in memory (it is small) with gzip variants and ETags; unknown paths get index.html. */
export class StaticFiles {
	private readonly files = new Map<string, StaticFile>();

	constructor(readonly root: string) {
		if (fs.existsSync(path.join(root, 'index.html'))) this.load(root, '');
	}

	get built(): boolean {
		return this.files.has('/index.html');
	}

	private load(dir: string, prefix: string): void {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			const urlPath = `${prefix}/${entry.name}`;
			if (entry.isDirectory()) {
				this.load(full, urlPath);
				continue;
			}
			const body = fs.readFileSync(full);
			const ext = path.extname(entry.name);
			const type = TYPES[ext] ?? 'application/octet-stream';
			const compressible = /text|json|svg/.test(type) && body.length > 1024;
			this.files.set(urlPath, {
				body,
				gzip: compressible ? gzipSync(body) : undefined,
				type,
				etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
				immutable: urlPath.startsWith('/assets/'),
			});
		}
	}

	reply(urlPath: string, headers: Record<string, string>): Reply {
		if (!this.built) {
			return { status: 503, body: 'The dashboard is not built yet: run `npm run build`.', headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
		}
		let file = this.files.get(urlPath === '/' ? '/index.html' : urlPath);
		// History fallback: client-side routes get the app; missing files with an extension are 404s.
		if (!file && !path.extname(urlPath)) file = this.files.get('/index.html');
		if (!file) return { status: 404, body: 'Not found', headers: { 'Content-Type': 'text/plain; charset=utf-8' } };
		const cache = file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
		const base = { 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' };
		if (headers['if-none-match'] === file.etag) return { status: 304, headers: base };
		if (file.gzip && headers['accept-encoding']?.includes('gzip')) {
			return { status: 200, body: file.gzip, headers: { ...base, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } };
		}
		return { status: 200, body: file.body, headers: base };
	}
}
