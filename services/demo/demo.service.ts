import path from 'node:path';
import { Errors, type Context } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { readEnv } from '../../mixins/env-settings.mixin.ts';
import { WhatsAppDouble } from '../whatsapp-double/index.ts';
import type { PairingDto } from '../devices/devices.params.ts';
import type { DeviceDto } from '../devices/devices.params.ts';
import { startAutoReplies, type AutoReplyTiming } from './auto-replies.ts';
import { contactSendParams, faultParams, type ContactSendParams, type DemoContactDto, type DemoContactMessageDto, type DemoFault, type FaultParams } from './demo.params.ts';

/**
 * Demo mode (`npm run demo`): Fleetcast runs against the WhatsApp double in this process, with
 * demo contacts, and a demo phone can link any device. Loaded only in demo mode, so outside it
 * these routes do not exist.
 */

const DEMO_CONTACTS = [
	{ phone: '60123450001', name: 'Aisha Rahman' },
	{ phone: '60123450002', name: 'Ben Carter' },
	{ phone: '60123450003', name: 'Chen Wei' },
	{ phone: '60123450004', name: 'Diego Alvarez' },
	{ phone: '60123450005', name: 'Emma Schmidt' },
	{ phone: '60123450006', name: 'Farah Haddad' },
	{ phone: '60123450007', name: 'Gopal Iyer' },
	{ phone: '60123450008', name: 'Hana Suzuki' },
	{ phone: '60123450009', name: 'Ifeoma Okafor' },
	{ phone: '60123450010', name: 'João Pereira' },
	{ phone: '60123450011', name: 'Kirra Walker' },
	{ phone: '60123450012', name: 'Linh Nguyen' },
];

const QR_WAIT_MS = 15_000;
/** The error a number's refused sends are acked with under `fail-sends` (any code other than 463 would do). */
const FAIL_SENDS_CODE = 479;

interface Locals {
	double: WhatsAppDouble;
	stopAutoReplies?: () => void;
}

interface DemoSettings {
	/** Where the double keeps its accounts, so a restarted demo keeps its linked devices. */
	statePath?: string;
	/** How long auto-replying contacts take to read and to type; null: they never answer by themselves. */
	autoReplies?: AutoReplyTiming | null;
}

const DemoService: FleetServiceSchema<DemoSettings, Record<string, never>, Locals> = {
	name: 'demo',

	settings: {},

	actions: {
		/** Tells the dashboard it runs in demo mode. */
		info: {
			rest: 'GET /demo',
			handler() {
				return { demo: true, contacts: this.double.contacts().length };
			},
		},

		/** The demo contacts, to import as leads. */
		contacts: {
			rest: 'GET /demo/contacts',
			handler(): DemoContactDto[] {
				return this.double.contacts().map(c => ({ name: c.name, phone: `+${c.phone}` }));
			},
		},

		/** What a demo contact received, decrypted by the double, with the number that sent it (only the caller's numbers). */
		contactMessages: {
			rest: 'GET /demo/contacts/:phone/messages',
			params: { $$strict: true, phone: { type: 'string', max: 20 } },
			async handler(ctx: Context<{ phone: string }>): Promise<DemoContactMessageDto[]> {
				const contact = this.double.contact(ctx.params.phone.replace(/\D/g, ''));
				if (!contact) throw new Errors.MoleculerClientError('No such demo contact.', 404, 'NOT_FOUND');
				const devices = await ctx.call<{ phone: string | null }[]>('devices.list');
				const mine = new Set(devices.map(d => d.phone).filter(Boolean));
				return contact
					.received()
					.filter(m => mine.has(m.fromPhone))
					.map(m => ({
						id: m.id,
						from: `+${m.fromPhone}`,
						text: m.text ?? null,
						image: m.image ? { bytes: m.image.bytes.length, mimetype: m.image.mimetype ?? null } : null,
						at: new Date(m.at).toISOString(),
					}));
			},
		},

		/** A demo contact writes to one of the caller's numbers, as a person would from their phone. */
		contactSend: {
			rest: 'POST /demo/contacts/:phone/send',
			params: contactSendParams,
			async handler(ctx: Context<ContactSendParams>): Promise<{ id: string }> {
				const contact = this.double.contact(ctx.params.phone.replace(/\D/g, ''));
				if (!contact) throw new Errors.MoleculerClientError('No such demo contact.', 404, 'NOT_FOUND');
				const device = await ctx.call<DeviceDto, { id: string }>('devices.get', { id: ctx.params.deviceId });
				if (!device.phone || !this.double.account(device.phone)) {
					throw new Errors.MoleculerClientError('This number is not linked to a demo phone yet: pair it first.', 409, 'NOT_LINKED');
				}
				return { id: await contact.sendText(device.phone, ctx.params.text) };
			},
		},

		/**
		 * What WhatsApp does to one of the caller's numbers from now on, at the double: its sends are
		 * refused (`fail-sends`, or `reachout-timelock` with 463 as for new chats), it is banned, its
		 * connection drops once, or all is well again (`none`).
		 */
		fault: {
			rest: 'POST /demo/devices/:id/fault',
			params: faultParams,
			async handler(ctx: Context<FaultParams>): Promise<{ fault: DemoFault }> {
				const device = await ctx.call<DeviceDto, { id: string }>('devices.get', { id: ctx.params.id });
				if (!device.phone || !this.double.account(device.phone)) {
					throw new Errors.MoleculerClientError('This number is not linked to a demo phone yet: pair it first.', 409, 'NOT_LINKED');
				}
				const { faults } = this.double;
				const phone = device.phone;
				switch (ctx.params.fault) {
					case 'fail-sends':
						faults.rejectSends(phone, FAIL_SENDS_CODE);
						break;
					case 'reachout-timelock':
						faults.rejectSends(phone, 463);
						break;
					case 'ban':
						faults.ban(phone);
						break;
					case 'drop':
						faults.dropConnection(phone);
						break;
					case 'none':
						faults.allowSends(phone);
						faults.unban(phone);
						break;
				}
				return { fault: ctx.params.fault };
			},
		},

		/** Where the devices service finds the double. Internal. */
		double: {
			visibility: 'public',
			auth: 'public',
			handler() {
				return { url: this.double.endpoint.url };
			},
		},

		/** A fresh demo phone scans the device's current QR, as a person would with WhatsApp > Linked devices. */
		link: {
			rest: 'POST /demo/devices/:id/link',
			params: { $$strict: true, id: { type: 'uuid', messages: { uuid: 'No such device.' } } },
			async handler(ctx: Context<{ id: string }>) {
				const deadline = Date.now() + QR_WAIT_MS;
				let pairing = await ctx.call<PairingDto, { id: string }>('devices.qr', { id: ctx.params.id });
				while (pairing.status === 'pairing' && !pairing.qr && Date.now() < deadline) {
					await new Promise(resolve => setTimeout(resolve, 250));
					pairing = await ctx.call<PairingDto, { id: string }>('devices.qr', { id: ctx.params.id });
				}
				if (!pairing.qr) {
					throw new Errors.MoleculerClientError('This device is not showing a QR code. Press Pair and choose QR first.', 409, 'NOT_PAIRING');
				}
				const phone = this.double.addAccount({ name: `Demo phone ${this.double.accounts().length + 1}` });
				await phone.scan(pairing.qr);
				return { phone: phone.phone };
			},
		},
	},

	async created() {
		const statePath = this.settings.statePath ?? path.join(readEnv().dataDir, 'demo-whatsapp.json');
		this.double = new WhatsAppDouble({ host: '127.0.0.1', statePath });
	},

	async started() {
		await this.double.start();
		for (const contact of DEMO_CONTACTS) if (!this.double.contact(contact.phone)) this.double.addContact(contact);
		const timing = this.settings.autoReplies === undefined ? { readMs: 2_000, typingMs: 2_500 } : this.settings.autoReplies;
		if (timing) this.stopAutoReplies = startAutoReplies(this.double, timing, err => this.logger.warn(`A demo contact could not answer: ${err.message}`));
		this.logger.info(`Demo mode: WhatsApp double at ${this.double.endpoint.url} with ${this.double.contacts().length} contacts.`);
	},

	async stopped() {
		this.stopAutoReplies?.();
		await this.double.stop();
	},
};

export default DemoService;
