import { describe, expect, it } from 'vitest';
import { startedDouble } from './fixture.ts';
import { DoubleClient, WrongPairingCodeError } from '../../services/whatsapp-double/index.ts';

describe('linking a companion by pairing code', () => {
	const bed = startedDouble();
	const { double, clients } = bed;

	const registeringClient = async () => {
		const client = new DoubleClient(bed.endpoint);
		clients.push(client);
		client.connect();
		await client.waitForQr();
		return client;
	};

	it('the user types the code the companion shows into the phone; the companion comes online', async () => {
		const phone = double.addAccount({ phone: '15550003001' });
		const client = await registeringClient();
		const code = await client.socket.requestPairingCode(phone.phone);
		expect(code).toMatch(/^[0-9A-Z]{8}$/);
		await double.waitFor('pairing-code.requested', e => e.phone === phone.phone);
		const device = await phone.enterCode(code);
		expect(await client.waitForClose()).toBe(515);
		await client.waitForOpen();
		expect(client.jid).toBe(device);
		expect(double.events.list('device.linked')).toEqual([expect.objectContaining({ device, method: 'code' })]);
	});

	it('a wrong code links nothing', async () => {
		const phone = double.addAccount();
		const client = await registeringClient();
		await client.socket.requestPairingCode(phone.phone, 'ABCD1234');
		await double.waitFor('pairing-code.requested', e => e.phone === phone.phone);
		await expect(phone.enterCode('WXYZ9876')).rejects.toThrow(WrongPairingCodeError);
		expect(phone.devices()).toEqual([]);
	});
});
