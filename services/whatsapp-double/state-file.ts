import fs from 'node:fs';
import path from 'node:path';
import type { Directory } from './accounts.ts';
import type { noisePkiToJson } from './certificates.ts';

/** Everything a restarted double needs to recognise the companions linked before. */
export interface DoubleState {
	version: 1;
	noise: ReturnType<typeof noisePkiToJson>;
	tls: { caCert: string; caKey: string };
	directory: ReturnType<Directory['toJSON']>;
}

/**
 * The optional JSON file behind a double: read once at start, rewritten (atomically, debounced)
 * after changes into its folder (made if missing), and written one last time at stop. Queued
 * offline stanzas are not kept. A debounced write that fails is reported and tried again at the
 * next change or at stop.
 */
export class StateFile {
	private timer: NodeJS.Timeout | undefined;
	private pending: (() => DoubleState) | undefined;
	private writing: Promise<void> = Promise.resolve();

	constructor(
		readonly path: string,
		private readonly debounceMs = 200,
		private readonly onError: (err: Error) => void = err => console.error(`The WhatsApp double could not save its state: ${err.message}`),
	) {}

	load(): DoubleState | undefined {
		if (!fs.existsSync(this.path)) return undefined;
		const state = JSON.parse(fs.readFileSync(this.path, 'utf8')) as DoubleState;
		if (state.version !== 1) throw new Error(`${this.path}: unknown state version ${state.version}`);
		return state;
	}

	schedule(snapshot: () => DoubleState): void {
		this.pending = snapshot;
		this.timer ??= setTimeout(() => this.flush().catch(this.onError), this.debounceMs);
	}

	/** Write now if anything is pending; resolves when the file is on disk. */
	flush(): Promise<void> {
		clearTimeout(this.timer);
		this.timer = undefined;
		const snapshot = this.pending;
		this.pending = undefined;
		if (snapshot) {
			const write = async () => {
				await fs.promises.mkdir(path.dirname(this.path), { recursive: true });
				const temporary = `${this.path}.${process.pid}.tmp`;
				await fs.promises.writeFile(temporary, JSON.stringify(snapshot()));
				await fs.promises.rename(temporary, this.path);
			};
			// A failed write does not stop the next one; the caller of this flush hears of it.
			this.writing = this.writing.catch(() => undefined).then(write);
		}
		return this.writing;
	}
}
