import { downloadMediaMessage } from '@whiskeysockets/baileys';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkedCompanion } from './fixture.ts';

describe('images both ways through the media host (HTTPS under the double CA)', () => {
	const bed = linkedCompanion();
	const { double, phone } = bed;
	const contact = double.addContact();
	let png: Buffer;

	beforeAll(async () => {
		png = await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 200, g: 30, b: 60 } } }).png().toBuffer();
	});

	it('Baileys uploads an image; the contact downloads, verifies and decrypts the same bytes', async () => {
		const sent = await bed.client.socket.sendMessage(contact.jid, { image: png, caption: 'a red square', mimetype: 'image/png' });
		const received = await contact.waitForMessage(m => m.id === sent!.key.id);
		expect(received.imageError).toBeUndefined();
		expect(received.image?.bytes.equals(png)).toBe(true);
		expect(received.image).toMatchObject({ caption: 'a red square', mimetype: 'image/png' });
		expect(double.events.list('media.uploaded')).toHaveLength(1);
		const own = await downloadMediaMessage(sent!, 'buffer', {});
		expect(own.equals(png)).toBe(true);
	});

	it('the contact sends an image; Baileys downloads and decrypts the same bytes', async () => {
		const id = await contact.sendImage(phone, { image: png, mimetype: 'image/png', caption: 'from the contact' });
		const message = await bed.client.waitFor(() => bed.client.messages.find(m => m.key.id === id));
		expect(message.message?.imageMessage?.caption).toBe('from the contact');
		const bytes = await downloadMediaMessage(message, 'buffer', {});
		expect(bytes.equals(png)).toBe(true);
		expect(double.events.list('media.downloaded').some(e => e.found && e.path === message.message?.imageMessage?.directPath)).toBe(true);
	});
});
