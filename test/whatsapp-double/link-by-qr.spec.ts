import { describe, expect, it } from 'vitest';
import { startedDouble } from './fixture.ts';
import { DoubleClient, PairingError, WhatsAppDouble } from '../../services/whatsapp-double/index.ts';

describe('linking a companion by scanning its QR code', () => {
	const bed = startedDouble({ settings: { qrRefs: 3, qrFirstRefMs: 60_000, qrNextRefMs: 20_000 } });
	const { double, clients } = bed;
	const newClient = (config = {}) => {
		const client = new DoubleClient(bed.endpoint, { config });
		clients.push(client);
		client.connect();
		return client;
	};

	it('shows a QR, the phone scans it, the client restarts (515) and comes online as a new device', async () => {
		const phone = double.addAccount({ phone: '15550001111', name: 'Shop' });
		const client = newClient();
		const qr = await client.waitForQr();
		expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@/);
		const device = await phone.scan(qr);
		expect(await client.waitForClose()).toBe(515);
		await client.waitForOpen();
		expect(client.jid).toBe(device);
		expect(device).toMatch(/^15550001111:\d+@s\.whatsapp\.net$/);
		const deviceId = device.split(':')[1].split('@')[0];
		expect(client.auth.creds.me?.lid).toBe(`${phone.lid}:${deviceId}@lid`);
		expect(phone.devices()).toEqual([expect.objectContaining({ device, online: true })]);
		await double.waitFor('prekeys.uploaded', e => e.device === device && e.count > 0);
		expect(double.events.list('device.linked')).toEqual([expect.objectContaining({ device, method: 'qr' })]);
		double.assertNoConflicts();
	});

	it('rotates through its refs, then gives up (408); a QR from a closed connection is refused', async () => {
		const phone = double.addAccount();
		const client = newClient({ qrTimeout: 150 });
		const shown = [await client.waitForQr(), await client.waitForQr(), await client.waitForQr()];
		expect(new Set(shown.map(qr => qr.split('#')[1].split(',')[0])).size).toBe(3);
		expect(await client.waitForClose()).toBe(408);
		await expect(phone.scan(shown[2])).rejects.toThrow(PairingError);
		expect(phone.devices()).toEqual([]);
	});

	it('refuses a ref whose time is up, as the real phone does with an old QR', async () => {
		const strict = new WhatsAppDouble({ settings: { qrFirstRefMs: 0 } });
		const client = new DoubleClient(await strict.start());
		clients.push(client);
		client.connect();
		const qr = await client.waitForQr();
		await expect(strict.addAccount().scan(qr)).rejects.toThrow(/expired/);
		await client.end();
		await strict.stop();
	});
});
