import util from 'node:util';
import { SessionRecord } from 'libsignal';

/** The lines libsignal prints on `console` about sessions it opens and closes: routine, and never wanted in a log. */
const SESSION_CHATTER = /^(Closing session|Opening session|Removing old closed session|Session already (closed|open)|Closing open session in favor of incoming prekey bundle|Decrypted message with closed session|Migrating session to)/;

let installed = false;

/**
 * libsignal (under Baileys and the WhatsApp double) writes whole Signal sessions with
 * `console.info`, private and chain keys included, around pino. From the first call on, nothing
 * prints a session's keys: a session shows as `<SessionEntry>` wherever it is inspected, and the
 * library's session chatter is dropped from `console`. Everything else passes unchanged.
 */
export function keepSignalKeysOutOfLogs(): void {
	if (installed) return;
	installed = true;
	// The typings leave out the static that makes a session entry; the library has it.
	const entry = Object.getPrototypeOf((SessionRecord as unknown as { createEntry(): object }).createEntry()) as object;
	Object.defineProperty(entry, util.inspect.custom, { value: () => '<SessionEntry>' });
	for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
		const write = console[level].bind(console);
		console[level] = (...args: unknown[]) => {
			if (typeof args[0] === 'string' && SESSION_CHATTER.test(args[0])) return;
			write(...args);
		};
	}
}
