import { parseArgs } from 'node:util';
import { WhatsAppDouble } from './server.ts';

/**
 * Runs the double on its own:
 *   npx tsx services/whatsapp-double/cli.ts --port 7780 [--host 127.0.0.1] [--state double-state.json]
 * Prints one line with its URL once it listens, then serves until SIGINT/SIGTERM.
 */
const { values } = parseArgs({
	options: {
		port: { type: 'string', default: '7780' },
		host: { type: 'string', default: '127.0.0.1' },
		state: { type: 'string' },
	},
});

const double = new WhatsAppDouble({ host: values.host, port: Number(values.port), statePath: values.state });
const endpoint = await double.start();
console.log(`WhatsApp double ready at ${endpoint.url} (chat ${endpoint.wsUrl}, media https://${endpoint.mediaHost}, control ${endpoint.url}/control/info)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		void double.stop().then(() => process.exit(0));
	});
}
