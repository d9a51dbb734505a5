import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoubleControl, type RemoteContact, type RemotePhone } from '../../services/whatsapp-double/control-client.ts';
import { DoubleClient, type DoubleEndpoint } from '../../services/whatsapp-double/index.ts';

const cli = path.join(import.meta.dirname, '../../services/whatsapp-double/cli.ts');

/** The double in its own process, as another Fleetcast node would reach it. */
function startDoubleProcess() {
	const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	const url = new Promise<string>((resolve, reject) => {
		child.stdout.on('data', chunk => {
			output += chunk;
			const found = /ready at (http:\/\/\S+)/.exec(output);
			if (found) resolve(found[1]);
		});
		child.stderr.on('data', chunk => (output += chunk));
		child.once('exit', code => reject(new Error(`the double exited (${code}):\n${output}`)));
	});
	const exited = new Promise(resolve => child.once('exit', resolve));
	return { url, stop: () => (child.kill('SIGTERM'), exited) };
}

describe('driving a double in another process over its HTTP control API', () => {
	const doubleProcess = startDoubleProcess();
	let control: DoubleControl;
	let endpoint: DoubleEndpoint;
	let phone: RemotePhone;
	let contact: RemoteContact;
	let client: DoubleClient;

	beforeAll(async () => {
		control = new DoubleControl(await doubleProcess.url);
		endpoint = await control.info();
	});
	afterAll(async () => {
		await client?.end();
		await doubleProcess.stop();
	});

	it('links a Baileys client by QR scanned over HTTP', async () => {
		phone = await control.addAccount({ name: 'Remote shop' });
		client = new DoubleClient(endpoint);
		client.connect();
		const device = await phone.scan(await client.waitForQr());
		await client.waitForOpen();
		expect(client.jid).toBe(device);
		await control.waitFor('device.logged-in', { device });
	});

	it('a contact created over HTTP writes to Baileys and reads what Baileys sends back', async () => {
		contact = await control.addContact({ name: 'Eve' });
		const id = await contact.sendText(phone, 'hello over http');
		const message = await client.waitFor(() => client.messages.find(m => m.key.id === id));
		expect(message.message?.conversation).toBe('hello over http');
		const sent = await client.socket.sendMessage(contact.jid, { text: 'hello eve' });
		const event = await control.waitFor('contact.received', { contact: contact.phone, id: sent!.key.id! });
		expect(event.text).toBe('hello eve');
		expect((await contact.received()).map(m => m.text)).toEqual(['hello eve']);
	});

	it('injects faults and reports them', async () => {
		const closed = client.closes.length;
		expect(await control.faults.dropConnection(phone)).toBe(1);
		expect(await client.waitForClose(closed)).toBe(428);
		await expect(control.waitFor('conflict', {}, { timeoutMs: 50 })).rejects.toThrow(/Timed out/);
		expect(await control.conflicts()).toEqual([]);
	});
});
