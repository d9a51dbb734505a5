import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkClient, WhatsAppDouble, type DoubleClient } from '../../services/whatsapp-double/index.ts';

describe('a double restarted from its state file', () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-double-'));
	const statePath = path.join(dir, 'state.json');
	let client: DoubleClient | undefined;
	let running: WhatsAppDouble | undefined;

	afterAll(async () => {
		await client?.end();
		await running?.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	});

	it('recognises companions linked before, and existing Signal sessions keep decrypting', async () => {
		const first = new WhatsAppDouble({ statePath });
		running = first;
		const phone = first.addAccount({ phone: '15550005001', name: 'Kept' });
		const contact = first.addContact({ phone: '15550005002', name: 'Dora' });
		const { port } = new URL((await first.start()).url);
		client = await linkClient(first.endpoint, phone);
		const hello = await contact.sendText(phone, 'before the restart');
		await client.waitFor(() => client!.messages.find(m => m.key.id === hello));
		const out = await client.socket.sendMessage(contact.jid, { text: 'to Dora' });
		await contact.waitForMessage(m => m.id === out!.key.id);

		await client.end();
		await first.stop();
		expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).directory.users).toHaveLength(2);

		const second = new WhatsAppDouble({ statePath, port: Number(port) });
		running = second;
		await second.start();
		const opened = client.openCount;
		client.connect();
		await client.waitForOpen(opened);
		expect(client.qrs).toHaveLength(1);
		expect(second.account('15550005001')?.devices()).toEqual([expect.objectContaining({ device: client.jid, online: true })]);

		const again = second.contact('15550005002')!;
		const after = await again.sendText('15550005001', 'after the restart');
		const received = await client.waitFor(() => client!.messages.find(m => m.key.id === after));
		expect(received.message?.conversation).toBe('after the restart');
		// the contact's session was restored: no new pre-key message was needed
		expect(second.events.list('message.delivered').find(e => e.id === after)?.encryption).toBe('msg');
		const reply = await client.socket.sendMessage(again.jid, { text: 'still here' });
		expect((await again.waitForMessage(m => m.id === reply!.key.id)).text).toBe('still here');
	});
});
