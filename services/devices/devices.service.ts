import { Errors, type Context } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { readEnv } from '../../mixins/env.ts';
import { databaseOf, emOf, sqlOf } from '../../mixins/orm.middleware.ts';
import { acquireRedis, releaseRedis } from '../../mixins/redis.ts';
import { hasSession, type AuthStateStore } from './auth-state.ts';
import { BaileysDriver, type WhatsAppServer } from './baileys-driver.ts';
import { LocalConnectLimiter, RedisConnectLimiter, type ConnectLimiter } from './connect-limiter.ts';
import { applyPacing, quietMinutes, toDeviceDto } from './device-dto.ts';
import { DeviceBusyError, DeviceHost, type Command, type Pairing } from './device-host.ts';
import { DEFAULT_ACTOR_OPTIONS } from './device.actor.ts';
import { DEFAULT_DISPATCH_OPTIONS, Dispatcher, type DevicePacing } from './dispatcher.ts';
import type { ClaimedMessage, Receipt as OutboxReceipt, SendResult } from '../messages/outbox.ts';
import * as ME from '../messages/messages.events.ts';
import { renderMessage } from '../messages/render.ts';
import * as UE from '../users/users.events.ts';
import type { SendingSettingsDto } from '../users/users.params.ts';
import type { OutgoingMessage, WhatsAppDriver } from './whatsapp-driver.ts';
import { Device, type DeviceStatus } from './device.entity.ts';
import type { SqlConnection } from '../../mixins/database.ts';
import { preferredNode } from './leases.ts';
import * as E from './devices.events.ts';
import * as P from './devices.params.ts';

const { MoleculerClientError, MoleculerRetryableError, ValidationError } = Errors;

export interface DevicesSettings {
	leaseTtlMs: number;
	connectConcurrency: number;
	maxRestarts: number;
	handoverWave: number;
	startJitterMs: number;
	backoffBaseMs: number;
	backoffMaxMs: number;
	/** A WhatsApp double to connect to instead of WhatsApp; found from WHATSAPP_DOUBLE_URL or the demo service when unset. */
	whatsapp?: WhatsAppServer;
	/** Demo mode: use the demo service's double. */
	demo: boolean;
	/** Devices with nothing due look for messages again this often. */
	dispatchPollMs: number;
}

interface Methods {
	ownDevice(ctx: Context, id: string): Promise<Device>;
	saveDevice(ctx: Context, device: Device, pacing?: Partial<P.Pacing>): Promise<P.DeviceDto>;
	route(ctx: Context, device: Device, command: Command): Promise<Pairing>;
	holderNode(deviceId: string): Promise<string | undefined>;
	publishDevice(deviceId: string, extra?: { previous: DeviceStatus; linked: boolean }): Promise<void>;
	ownerOf(deviceId: string): Promise<string | undefined>;
	deleteImpact(deviceId: string): Promise<Record<string, number>>;
	liveNodes(): string[];
	findServer(): Promise<WhatsAppServer | undefined>;
	devicePacing(deviceIds: string[]): Promise<Map<string, DevicePacing>>;
	sendingSettings(userIds: string[]): Promise<Map<string, SendingSettingsDto>>;
	prepare(message: ClaimedMessage, timeZone: string): Promise<OutgoingMessage>;
	/** The WhatsApp connection of one device: Baileys, pointed at WhatsApp or at a double. */
	createDriver(store: AuthStateStore): WhatsAppDriver;
}

interface Locals {
	host: DeviceHost;
	dispatcher: Dispatcher;
	images: Map<string, Promise<{ data: Buffer; mimetype: string }>>;
	limiter: ConnectLimiter;
	db: SqlConnection;
	redisUrl?: string;
	owners: Map<string, string>;
	/** Per tenant, what sending its messages needs (from the users service), kept current by `user.settings-changed`. */
	tenants: Map<string, { at: number; settings: Promise<SendingSettingsDto> }>;
	metricsTimer?: NodeJS.Timeout;
	server?: WhatsAppServer;
	renewals?: SqlConnection & { close(): Promise<void> };
}

interface CommandParams {
	deviceId: string;
	command: Command;
	status: DeviceStatus;
}

const notFound = () => new MoleculerClientError('No such device.', 404, 'NOT_FOUND');

/** How long a tenant's time zone and greetings are trusted without the change event. */
const TENANT_SETTINGS_TTL_MS = 5 * 60_000;
const conflict = (message: string) => new MoleculerClientError(message, 409, 'DEVICE_STATE');

/** Digits of a number typed with country code ("+60 12-345 6789"), or a validation error. */
function pairingPhone(raw: string | undefined): string {
	const digits = (raw ?? '').replace(/[\s().+-]/g, '');
	if (!/^[1-9]\d{7,14}$/.test(digits)) {
		throw new ValidationError('Enter the phone number with its country code.', 'VALIDATION_ERROR', [
			{ field: 'phone', message: 'Use the full number with country code, e.g. +60 12 345 6789.', type: 'phone' },
		]);
	}
	return digits;
}

const DevicesService: FleetServiceSchema<DevicesSettings, Methods, Locals> = {
	name: 'devices',

	settings: {} as DevicesSettings,

	actions: {
		list: {
			rest: 'GET /devices',
			async handler(ctx: Context) {
				const devices = await emOf(ctx).find(Device, { user: userOf(ctx).id }, { orderBy: { createdAt: 'asc' } });
				return devices.map(toDeviceDto);
			},
		},

		create: {
			rest: 'POST /devices',
			params: P.createParams,
			async handler(ctx: Context<P.CreateParams, { $statusCode?: number }>) {
				const device = emOf(ctx).create(Device, { user: userOf(ctx).id, name: ctx.params.name } as never) as Device;
				const dto = await this.saveDevice(ctx, device, ctx.params.pacing);
				ctx.meta.$statusCode = 201;
				return dto;
			},
		},

		/** The device, who holds it, and what deleting it would remove. */
		get: {
			rest: 'GET /devices/:id',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams>): Promise<P.DeviceDetailsDto> {
				const device = await this.ownDevice(ctx, ctx.params.id);
				return { ...toDeviceDto(device), node: (await this.holderNode(device.id)) ?? null, deleteRemoves: await this.deleteImpact(device.id) };
			},
		},

		update: {
			rest: 'PATCH /devices/:id',
			params: P.updateParams,
			async handler(ctx: Context<P.UpdateParams>) {
				const device = await this.ownDevice(ctx, ctx.params.id);
				if (ctx.params.name !== undefined) device.name = ctx.params.name;
				return this.saveDevice(ctx, device, ctx.params.pacing);
			},
		},

		/** Logs the device out (unlinking it from the phone), then deletes it and every row that references it. */
		remove: {
			rest: 'DELETE /devices/:id',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
				const device = await this.ownDevice(ctx, ctx.params.id);
				if (await hasSession(this.db, device.id)) {
					await this.route(ctx, device, { kind: 'logout' }).catch(err => this.logger.warn(`Logout before deleting ${device.id} failed: ${err.message}`));
				}
				// Whatever holds it now lets go, leaving a status no node picks up before the row is gone.
				if (await this.holderNode(device.id)) await this.route(ctx, device, { kind: 'stop', status: 'offline', reason: 'Being deleted' });
				// Foreign keys cascade: one statement removes the device and everything that references it.
				await emOf(ctx).nativeDelete(Device, { id: device.id, user: userOf(ctx).id });
				this.owners.delete(device.id);
				ctx.broadcast<E.DeviceDeleted>(E.DEVICE_DELETED, { userId: userOf(ctx).id, deviceId: device.id });
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** Starts linking: a QR to scan (live as `device.qr` events) or an 8-character code for the phone. */
		pair: {
			rest: 'POST /devices/:id/pair',
			params: P.pairParams,
			async handler(ctx: Context<P.PairParams>): Promise<P.PairingDto> {
				const device = await this.ownDevice(ctx, ctx.params.id);
				if (['online', 'connecting', 'reconnecting'].includes(device.status)) throw conflict('This device is linked. Log it out before pairing it again.');
				const command: Command = ctx.params.method === 'code' ? { kind: 'pair', method: 'code', phone: pairingPhone(ctx.params.phone) } : { kind: 'pair', method: 'qr' };
				const pairing = await this.route(ctx, device, command);
				await emOf(ctx).refresh(device);
				return { status: device.status, ...pairing };
			},
		},

		/** What to show while pairing: the current QR or pairing code. */
		qr: {
			rest: 'GET /devices/:id/qr',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams>): Promise<P.PairingDto> {
				const device = await this.ownDevice(ctx, ctx.params.id);
				const node = device.status === 'pairing' ? await this.holderNode(device.id) : undefined;
				const pairing: Pairing = node ? await ctx.call('devices.pairing', { deviceId: device.id }, { nodeID: node }) : { qr: null, pairingCode: null };
				return { status: device.status, ...pairing };
			},
		},

		/** Reconnects with the stored session (no QR). */
		reconnect: {
			rest: 'POST /devices/:id/reconnect',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams>) {
				const device = await this.ownDevice(ctx, ctx.params.id);
				if (!(await hasSession(this.db, device.id))) throw conflict('This device is not linked. Pair it first.');
				await this.route(ctx, device, { kind: 'reconnect' });
				await emOf(ctx).refresh(device);
				return toDeviceDto(device);
			},
		},

		/** Unlinks the device from the phone and forgets the session; phone and JID stay for re-pairing. */
		logout: {
			rest: 'POST /devices/:id/logout',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams>) {
				const device = await this.ownDevice(ctx, ctx.params.id);
				const linked = await hasSession(this.db, device.id);
				if (!linked && device.status !== 'pairing') throw conflict('This device is not linked.');
				await this.route(ctx, device, linked ? { kind: 'logout' } : { kind: 'stop', status: 'new', reason: 'Pairing cancelled' });
				await emOf(ctx).refresh(device);
				return toDeviceDto(device);
			},
		},

		/** Runs a command on the node that holds (or should hold) the device. Internal. */
		command: {
			visibility: 'public',
			async handler(ctx: Context<CommandParams>): Promise<Pairing> {
				try {
					return await this.host.command(ctx.params.deviceId, ctx.params.command, ctx.params.status);
				} catch (err) {
					if (err instanceof DeviceBusyError) throw new MoleculerRetryableError(err.message, 409, 'DEVICE_MOVED');
					throw err;
				}
			},
		},

		/** The QR or pairing code of a device held here. Internal. */
		pairing: {
			visibility: 'public',
			handler(ctx: Context<{ deviceId: string }>): Pairing {
				const actor = this.host.actor(ctx.params.deviceId);
				return { qr: actor?.qr ?? null, pairingCode: actor?.pairingCode ?? null };
			},
		},

		/** Ids of a user's online devices (campaigns check there is one before firing). Internal. */
		onlineOf: {
			visibility: 'public',
			auth: 'public',
			async handler(ctx: Context<{ userId: string }>): Promise<string[]> {
				const rows = await this.db.execute<{ id: string }[]>(`select id from devices where user_id = ? and status = 'online'`, [ctx.params.userId]);
				return rows.map(r => r.id);
			},
		},

		/** Which devices this node holds, for the REPL, tests and the fleet page. */
		held: {
			visibility: 'public',
			auth: 'public',
			handler(): { nodeId: string; devices: string[]; connectingPeak: number } {
				return { nodeId: this.broker.nodeID, devices: this.host.heldDevices(), connectingPeak: this.limiter.peak };
			},
		},
	},

	events: {
		/** Another node let devices go: those this node prefers are taken now, not at the next tick. */
		'device.released': {
			handler(ctx: Context<{ nodeId: string; leaving: boolean }>) {
				if (ctx.params.nodeId === this.broker.nodeID) return;
				if (ctx.params.leaving) this.host.nodeLeaving(ctx.params.nodeId);
				void this.host.tick();
			},
		},
		/** Messages were queued: the devices held here start on them now. */
		[ME.MESSAGES_ENQUEUED]: {
			handler(ctx: Context<ME.MessagesEnqueued>) {
				this.dispatcher?.wake(ctx.params.deviceIds.filter(id => this.host.actor(id)));
			},
		},
		/** A pacing change applies from the device's next send. */
		[E.DEVICE_UPDATED]: {
			handler(ctx: Context<E.DeviceUpdated>) {
				const { id, pacing } = ctx.params.device;
				const { quietHours, ...limits } = pacing;
				if (this.host?.actor(id)) this.dispatcher?.repace(id, { ...limits, ...quietMinutes(quietHours) });
			},
		},
		/** Heard on every node: greetings render with the new sets from the next send, quiet hours follow a new zone. */
		[UE.USER_SETTINGS_CHANGED]: {
			handler(ctx: Context<UE.UserSettingsChanged>) {
				const { userId, timeZone, greetings } = ctx.params;
				if (!this.tenants?.has(userId)) return;
				this.tenants.set(userId, { at: Date.now(), settings: Promise.resolve({ timeZone, greetings }) });
				for (const id of this.host.heldDevices()) {
					if (this.owners.get(id) === userId) this.dispatcher.repace(id, { timeZone });
				}
			},
		},
		'$services.changed'() {
			void this.host?.tick();
		},
		'$node.disconnected'() {
			void this.host?.tick();
		},
	},

	methods: {
		async ownDevice(ctx, id) {
			const device = await emOf(ctx).findOne(Device, { id, user: userOf(ctx).id });
			if (!device) throw notFound();
			return device;
		},

		/** Applies a pacing change (refusing an inconsistent one), saves, and tells the owner's tabs. */
		async saveDevice(ctx, device, pacing) {
			const problem = applyPacing(device, pacing ?? {});
			if (problem) throw new ValidationError(problem, 'VALIDATION_ERROR', [{ field: 'pacing', message: problem, type: 'pacing' }]);
			await emOf(ctx).flush();
			const dto = toDeviceDto(device);
			ctx.broadcast(E.DEVICE_UPDATED, { userId: userOf(ctx).id, device: dto } satisfies E.DeviceUpdated);
			return dto;
		},

		async route(ctx, device, command) {
			const { id: deviceId, status } = device;
			for (let attempt = 1; ; attempt++) {
				const nodeID = (await this.holderNode(deviceId)) ?? preferredNode(deviceId, await this.host.candidates())!;
				try {
					return (await ctx.call('devices.command', { deviceId, command, status } satisfies CommandParams, { nodeID, timeout: 60_000 })) as Pairing;
				} catch (err) {
					// The device changed hands between the lookup and the call: look again.
					if ((err as { type?: string }).type !== 'DEVICE_MOVED' || attempt >= 3) throw err;
				}
			}
		},

		async holderNode(deviceId) {
			const holder = await this.host.leases.holder(deviceId);
			return holder && this.liveNodes().includes(holder.nodeId) ? holder.nodeId : undefined;
		},

		async ownerOf(deviceId) {
			let owner = this.owners.get(deviceId);
			if (!owner) {
				const rows = await this.db.execute<{ user_id: string }[]>(`select user_id from devices where id = ?`, [deviceId]);
				owner = rows[0]?.user_id;
				if (owner) this.owners.set(deviceId, owner);
			}
			return owner;
		},

		async publishDevice(deviceId, extra) {
			const em = databaseOf(this.broker).orm.em.fork();
			const device = await em.findOne(Device, { id: deviceId });
			if (!device) return;
			const userId = device.user.id;
			const dto = toDeviceDto(device);
			if (extra) {
				this.broker.broadcast<E.DeviceStatusChanged>(E.DEVICE_STATUS_CHANGED, { userId, deviceId, status: dto.status, previous: extra.previous, reason: dto.statusReason });
				if (extra.linked && dto.phone && dto.jid) this.broker.broadcast<E.DeviceLinked>(E.DEVICE_LINKED, { userId, deviceId, phone: dto.phone, jid: dto.jid, lid: dto.lid });
			}
			this.broker.broadcast<E.DeviceUpdated>(E.DEVICE_UPDATED, { userId, device: dto });
		},

		async deleteImpact(deviceId) {
			// Every table whose rows cascade away with a device, found in the catalog, so tables added later count too.
			const references = await this.db.execute<{ table_name: string; count_query: string }[]>(
				`select c.conrelid::regclass::text as table_name,
				        format('select count(*)::int as n from %s where %I = ?', c.conrelid::regclass, a.attname) as count_query
				 from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
				 where c.contype = 'f' and c.confdeltype = 'c' and c.confrelid = 'devices'::regclass order by 1`,
			);
			const removes: Record<string, number> = { devices: 1 };
			for (const { table_name, count_query } of references) {
				const rows = await this.db.execute<{ n: number }[]>(count_query, [deviceId]);
				removes[table_name] = rows[0]?.n ?? 0;
			}
			return removes;
		},

		async devicePacing(deviceIds) {
			const rows = await this.db.execute<Record<string, unknown>[]>(
				`select id, user_id, min_delay_seconds, max_delay_seconds, hourly_cap, daily_cap, warm_up, quiet_start_minute, quiet_end_minute, created_at
				 from devices where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
				[JSON.stringify(deviceIds)],
			);
			for (const r of rows) this.owners.set(r.id as string, r.user_id as string);
			const tenants = await this.sendingSettings([...new Set(rows.map(r => r.user_id as string))]);
			const minute = (v: unknown) => (v === null || v === undefined ? null : Number(v));
			return new Map(
				rows.map(r => [
					r.id as string,
					{
						minDelaySeconds: Number(r.min_delay_seconds),
						maxDelaySeconds: Number(r.max_delay_seconds),
						hourlyCap: Number(r.hourly_cap),
						dailyCap: Number(r.daily_cap),
						warmUp: Boolean(r.warm_up),
						quietStartMinute: minute(r.quiet_start_minute),
						quietEndMinute: minute(r.quiet_end_minute),
						timeZone: tenants.get(r.user_id as string)?.timeZone ?? 'UTC',
						since: new Date(r.created_at as string).getTime(),
					},
				]),
			);
		},

		/**
		 * Asks the users service, in one call, for the tenants not known here or known for longer than
		 * TENANT_SETTINGS_TTL_MS: the change event keeps them current, the age covers an event this node missed.
		 */
		async sendingSettings(userIds: string[]) {
			const now = Date.now();
			const missing = userIds.filter(id => (this.tenants.get(id)?.at ?? -Infinity) < now - TENANT_SETTINGS_TTL_MS);
			if (missing.length) {
				const fetched = this.broker.call<Record<string, SendingSettingsDto>, object>('users.sendingSettings', { userIds: missing });
				for (const id of missing) {
					const entry = { at: now, settings: fetched.then(found => found[id] ?? { timeZone: 'UTC', greetings: {} }) };
					// A failed look-up is asked again next time, not remembered.
					entry.settings.catch(() => this.tenants.get(id) === entry && this.tenants.delete(id));
					this.tenants.set(id, entry);
				}
			}
			return new Map(await Promise.all(userIds.map(async id => [id, await this.tenants.get(id)!.settings] as const)));
		},

		async prepare(message: ClaimedMessage, timeZone: string) {
			const tenant = (await this.sendingSettings([message.userId])).get(message.userId)!;
			const text = renderMessage(message, { timeZone, greetings: tenant.greetings });
			const outgoing: OutgoingMessage = { to: message.recipient.replace(/^\+/, ''), id: message.waMessageId, text };
			if (message.mediaId) {
				const key = `${message.userId}/${message.mediaId}`;
				let image = this.images.get(key);
				if (!image) {
					image = this.broker
						.call<{ contentType: string; data: string }, { id: string; userId: string }>('media.content', { id: message.mediaId, userId: message.userId })
						.then(m => ({ data: Buffer.from(m.data, 'base64'), mimetype: m.contentType }));
					image.catch(() => this.images.delete(key));
					this.images.set(key, image);
					// A few campaigns' images at a time; each is at most 350 KB.
					if (this.images.size > 32) this.images.delete(this.images.keys().next().value!);
				}
				outgoing.image = await image;
			}
			return outgoing;
		},

		createDriver(store) {
			return new BaileysDriver(store, this.server, err => this.logger.error(`Device ${store.deviceId}: its session could not be saved: ${err.message}`));
		},

		liveNodes() {
			const registry = this.broker.registry as unknown as { getServiceList(o: object): { name: string; nodeID: string }[] };
			const services = registry.getServiceList({ onlyAvailable: true, skipInternal: true });
			return [...new Set(services.filter(s => s.name === 'devices').map(s => s.nodeID))];
		},

		async findServer() {
			if (this.settings.whatsapp) return this.settings.whatsapp;
			const env = readEnv();
			let url = env.whatsappDoubleUrl;
			if (!url && this.settings.demo) {
				await this.broker.waitForServices(['demo'], 30_000);
				url = (await this.broker.call<{ url: string }>('demo.double')).url;
			}
			if (!url) return undefined;
			const response = await fetch(new URL('/control/info', url));
			if (!response.ok) throw new Error(`The WhatsApp double at ${url} answered ${response.status}`);
			return (await response.json()) as WhatsAppServer;
		},
	},

	created() {
		const env = readEnv();
		const ttlMs = env.deviceLeaseTtlSeconds * 1000;
		const defaults: DevicesSettings = {
			leaseTtlMs: ttlMs,
			connectConcurrency: env.deviceConnectConcurrency,
			maxRestarts: env.deviceMaxRestarts,
			handoverWave: env.deviceHandoverWave,
			startJitterMs: env.deviceStartJitterMs,
			backoffBaseMs: DEFAULT_ACTOR_OPTIONS.backoffBaseMs,
			backoffMaxMs: DEFAULT_ACTOR_OPTIONS.backoffMaxMs,
			demo: env.demo,
			dispatchPollMs: env.dispatchPollMs,
		};
		this.settings = { ...defaults, ...this.settings };
		this.redisUrl = env.redisUrl;
		this.owners = new Map();
		this.tenants = new Map();
		this.images = new Map();
		this.limiter = env.redisUrl
			? new RedisConnectLimiter(acquireRedis(env.redisUrl), `${env.namespace}:device-connects`, this.settings.connectConcurrency)
			: new LocalConnectLimiter(this.settings.connectConcurrency);
	},

	async started() {
		this.db = sqlOf(this.broker);
		this.server = await this.findServer();
		const settings = this.settings;
		// Renewal gives up after a tick, so a stuck statement never holds its connection for longer.
		this.renewals = databaseOf(this.broker).dedicated({
			timeoutMs: Math.max(500, Math.floor(settings.leaseTtlMs / 3)),
			onError: err => this.logger.warn(`Lease renewal connection: ${err.message}`),
		});
		this.host = new DeviceHost(
			{
				db: this.db,
				renewals: this.renewals,
				limiter: this.limiter,
				createDriver: store => this.createDriver(store),
				liveNodes: () => this.liveNodes(),
				logger: this.logger,
				events: {
					statusChanged: async (deviceId, previous, status, _reason, linked) => {
						if (status === 'online') this.dispatcher.wake();
						await this.publishDevice(deviceId, { previous, linked });
					},
					qr: (deviceId, qr) =>
						void this.ownerOf(deviceId).then(userId => {
							if (userId) void this.broker.broadcast<E.DeviceQr>(E.DEVICE_QR, { userId, deviceId, qr });
						}),
					pairingCode: (deviceId, code) =>
						void this.ownerOf(deviceId).then(userId => {
							if (userId) void this.broker.broadcast<E.DevicePairingCode>(E.DEVICE_PAIRING_CODE, { userId, deviceId, code });
						}),
					receipts: (_deviceId, receipts) => this.dispatcher.receipt(receipts),
					inbound: (deviceId, message) =>
						void this.ownerOf(deviceId).then(userId => {
							if (!userId) return;
							const payload: ME.InboxMessageReceived = { userId, deviceId, from: `+${message.from}`, text: message.text, messageId: message.id, at: message.at.toISOString() };
							void this.broker.broadcast(ME.INBOX_MESSAGE_RECEIVED, payload);
						}),
					released: (deviceIds, leaving) => void this.broker.broadcast('device.released', { nodeId: this.broker.nodeID, deviceIds, leaving }),
				},
			},
			{
				nodeId: this.broker.nodeID,
				leaseTtlMs: settings.leaseTtlMs,
				tickMs: Math.max(500, Math.floor(settings.leaseTtlMs / 3)),
				handoverWave: settings.handoverWave,
				startJitterMs: settings.startJitterMs,
				actor: { ...DEFAULT_ACTOR_OPTIONS, maxRestarts: settings.maxRestarts, backoffBaseMs: settings.backoffBaseMs, backoffMaxMs: settings.backoffMaxMs },
			},
		);
		const nodeId = this.broker.nodeID;
		const call = <T>(action: string, params: object) => this.broker.call<T, object>(action, params);
		this.dispatcher = new Dispatcher(
			{
				nodeId,
				// Any node's: the typings insist on a node id, the registry takes none for "anywhere".
				outboxAvailable: () => this.broker.registry.hasService('messages', undefined as never),
				actors: () => this.host.heldActors(),
				claim: devices => call<ClaimedMessage[]>('messages.claim', { nodeId, devices }),
				record: results => call<void>('messages.record', { results } satisfies { results: SendResult[] }),
				receipts: receipts => call<void>('messages.receipts', { receipts } satisfies { receipts: OutboxReceipt[] }),
				failInterrupted: devices => call<void>('messages.failInterrupted', { nodeId, devices }),
				recentSends: async deviceIds => new Map(Object.entries(await call<Record<string, number[]>>('messages.recentSends', { deviceIds }))),
				pacing: deviceIds => this.devicePacing(deviceIds),
				prepare: (message, timeZone) => this.prepare(message, timeZone),
				logger: this.logger,
			},
			{ ...DEFAULT_DISPATCH_OPTIONS, pollMs: settings.dispatchPollMs },
		);
		this.host.start();
		this.dispatcher.start();
		// Gauges for /metrics: devices held here, sockets connecting now and the most at once.
		const metrics = this.broker.metrics;
		const gauges = { held: 'fleetcast.devices.held', connecting: 'fleetcast.devices.connecting', peak: 'fleetcast.devices.connecting.peak' };
		metrics.register({ type: 'gauge', name: gauges.held, description: 'Devices whose socket this node holds' });
		metrics.register({ type: 'gauge', name: gauges.connecting, description: 'Devices of this node connecting now' });
		metrics.register({ type: 'gauge', name: gauges.peak, description: 'Most devices of this node connecting at once since start' });
		this.metricsTimer = setInterval(() => {
			metrics.set(gauges.held, this.host.heldDevices().length);
			metrics.set(gauges.connecting, this.limiter.inUse);
			metrics.set(gauges.peak, this.limiter.peak);
		}, 1_000);
		this.metricsTimer.unref();
	},

	async stopped() {
		clearInterval(this.metricsTimer);
		// The sends in flight finish and are recorded before the sockets close.
		await this.dispatcher?.stop();
		await this.host?.stop();
		await this.renewals?.close();
		this.tenants.clear();
		if (this.redisUrl) await releaseRedis(this.redisUrl);
	},
};

export default DevicesService;
