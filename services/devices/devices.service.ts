import type { Context } from 'moleculer';
import { EnvSettingsMixin, readEnv } from '../../mixins/env-settings.mixin.ts';
import { databaseOf, sqlOf } from '../../mixins/orm.middleware.ts';
import { RedisMixin } from '../../mixins/redis.mixin.ts';
import { readWithRetry } from '../../mixins/read-with-retry.ts';
import * as ME from '../messages/messages.events.ts';
import type { ClaimedMessage, Receipt as OutboxReceipt, SendResult } from '../messages/outbox.ts';
import { MessagePreparation } from '../messages/preparation.ts';
import * as UE from '../users/users.events.ts';
import { BaileysDriver, type WhatsAppServer } from './baileys-driver.ts';
import { LocalConnectLimiter, RedisConnectLimiter } from './connect-limiter.ts';
import { quietMinutes, toDeviceDto } from './device-dto.ts';
import { DeviceHost } from './device-host.ts';
import { recordActions, recordMethods } from './device-records.ts';
import { routingActions, routingMethods } from './device-routing.ts';
import { DEFAULT_ACTOR_OPTIONS } from './device.actor.ts';
import { Device } from './device.entity.ts';
import { DEFAULT_DISPATCH_OPTIONS, Dispatcher } from './dispatcher.ts';
import { InboxFeed } from './inbox-feed.ts';
import { NumberChecks } from './number-checks.ts';
import type { DevicesSchema, DevicesSettings } from './devices.types.ts';
import * as E from './devices.events.ts';

export type { DevicesSettings };

/**
 * Devices: the user's records (`device-records.ts`), the routing of commands to the node holding
 * a device (`device-routing.ts`), and on every node the actors of the devices it holds, with the
 * dispatcher that sends their messages through the outbox.
 */
const DevicesService: DevicesSchema = {
	name: 'devices',

	mixins: [
		RedisMixin(),
		EnvSettingsMixin<DevicesSettings>(env => ({
			leaseTtlMs: env.deviceLeaseTtlSeconds * 1000,
			connectConcurrency: env.deviceConnectConcurrency,
			maxRestarts: env.deviceMaxRestarts,
			handoverWave: env.deviceHandoverWave,
			startJitterMs: env.deviceStartJitterMs,
			backoffBaseMs: DEFAULT_ACTOR_OPTIONS.backoffBaseMs,
			backoffMaxMs: DEFAULT_ACTOR_OPTIONS.backoffMaxMs,
			demo: env.demo,
			dispatchPollMs: env.dispatchPollMs,
			newChatPauseSeconds: env.safetyTimelockPauseSeconds,
		})),
	],

	settings: {} as DevicesSettings,

	actions: { ...recordActions, ...routingActions },

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
				this.dispatcher?.wake(
					ctx.params.deviceIds.filter(id => this.host.actor(id)),
					ctx.params.urgent,
				);
			},
		},
		/** A source's content changed or it said stop: the next of its messages reads it afresh. */
		[ME.MESSAGE_CONTENT_CHANGED]: {
			handler(ctx: Context<ME.MessageContentChanged>) {
				this.preparation?.contentChanged(ctx.params.source, ctx.params.sourceId);
			},
		},
		/** A pacing or warm-up change plans the device's queue again at once. */
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
				const { userId, timeZone, greetings, typing } = ctx.params;
				this.preparation?.tenantChanged(userId, { timeZone, greetings, typing });
				for (const id of this.host?.heldDevices() ?? []) {
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
		...recordMethods,
		...routingMethods,

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

		async devicePacing(deviceIds) {
			const rows = await this.db.execute<Record<string, unknown>[]>(
				`select id, user_id, min_delay_seconds, max_delay_seconds, hourly_cap, daily_cap, warm_up, quiet_start_minute, quiet_end_minute, created_at
				 from devices where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`,
				[JSON.stringify(deviceIds)],
			);
			for (const r of rows) this.owners.set(r.id as string, r.user_id as string);
			const zones = new Map(await Promise.all([...new Set(rows.map(r => r.user_id as string))].map(async id => [id, (await this.preparation.tenant(id)).timeZone] as const)));
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
						timeZone: zones.get(r.user_id as string) ?? 'UTC',
						since: new Date(r.created_at as string).getTime(),
					},
				]),
			);
		},

		createDriver(store) {
			return new BaileysDriver(store, this.server, err => this.logger.error(`Device ${store.deviceId}: its session could not be saved: ${err.message}`), this.numberChecks);
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
		this.owners = new Map();
		this.limiter = this.redis
			? new RedisConnectLimiter(this.redis, `${readEnv().namespace}:device-connects`, this.settings.connectConcurrency)
			: new LocalConnectLimiter(this.settings.connectConcurrency);
	},

	async started() {
		this.db = sqlOf(this.broker);
		this.numberChecks = new NumberChecks(this.db);
		this.server = await this.findServer();
		const settings = this.settings;
		const nodeId = this.broker.nodeID;
		const call = <T>(action: string, params: object) => this.broker.call<T, object>(action, params);
		// Renewal gives up after a tick, so a stuck statement never holds its connection for longer.
		this.renewals = databaseOf(this.broker).dedicated({
			timeoutMs: Math.max(500, Math.floor(settings.leaseTtlMs / 3)),
			onError: err => this.logger.warn(`Lease renewal connection: ${err.message}`),
		});
		const announce = (deviceId: string, emit: (userId: string) => void) => void this.ownerOf(deviceId).then(userId => userId && emit(userId));
		this.host = new DeviceHost(
			{
				db: this.db,
				renewals: this.renewals,
				limiter: this.limiter,
				createDriver: store => this.createDriver(store),
				quiesce: deviceId => this.dispatcher.quiesce(deviceId),
				liveNodes: () => this.liveNodes(),
				logger: this.logger,
				events: {
					statusChanged: async (deviceId, previous, status, _reason, linked) => {
						if (status === 'online') this.dispatcher.wake();
						await this.publishDevice(deviceId, { previous, linked });
					},
					qr: (deviceId, qr) => announce(deviceId, userId => this.broker.broadcast<E.DeviceQr>(E.DEVICE_QR, { userId, deviceId, qr })),
					pairingCode: (deviceId, code) => announce(deviceId, userId => this.broker.broadcast<E.DevicePairingCode>(E.DEVICE_PAIRING_CODE, { userId, deviceId, code })),
					receipts: (deviceId, receipts) => {
						this.dispatcher.receipt(deviceId, receipts);
						this.inboxFeed.receipt(deviceId, receipts);
					},
					messages: (deviceId, messages) => this.inboxFeed.seen(deviceId, messages),
					readElsewhere: (deviceId, ids) => this.inboxFeed.readElsewhere(deviceId, ids),
					released: (deviceIds, leaving) => void this.broker.broadcast('device.released', { nodeId, deviceIds, leaving }),
				},
			},
			{
				nodeId,
				leaseTtlMs: settings.leaseTtlMs,
				tickMs: Math.max(500, Math.floor(settings.leaseTtlMs / 3)),
				handoverWave: settings.handoverWave,
				startJitterMs: settings.startJitterMs,
				actor: { ...DEFAULT_ACTOR_OPTIONS, maxRestarts: settings.maxRestarts, backoffBaseMs: settings.backoffBaseMs, backoffMaxMs: settings.backoffMaxMs },
			},
		);
		// What a message needs is only read: a node that died holding the source's service costs a few seconds, not a send.
		this.preparation = new MessagePreparation({ call: <T>(action: string, params: object) => readWithRetry<T>(this.broker, action, params) });
		this.inboxFeed = new InboxFeed({
			available: () => this.broker.registry.hasService('inbox', undefined as never),
			ownerOf: deviceId => this.ownerOf(deviceId),
			storeImage: async (userId, jpeg) => (await call<{ id: string }>('media.storeReceived', { userId, data: jpeg.toString('base64') })).id,
			// A backlog after an outage may take a while to store: a retry while the first call still runs only doubles the work.
			feed: params => this.broker.call<void, object>('inbox.feed', params, { timeout: 120_000 }),
			maxPixels: readEnv().mediaMaxPixels,
			logger: this.logger,
		});
		this.dispatcher = new Dispatcher(
			{
				nodeId,
				// Any node's: the typings insist on a node id, the registry takes none for "anywhere".
				outboxAvailable: () => this.broker.registry.hasService('messages', undefined as never),
				actors: () => this.host.heldActors(),
				claim: devices => call<ClaimedMessage[]>('messages.claim', { nodeId, devices }),
				record: results => call<void>('messages.record', { nodeId, results } satisfies { nodeId: string; results: SendResult[] }),
				receipts: receipts => call<void>('messages.receipts', { receipts } satisfies { receipts: OutboxReceipt[] }),
				failInterrupted: devices => call<void>('messages.failInterrupted', { nodeId, devices }),
				recentSends: async deviceIds => new Map(Object.entries(await call<Record<string, number[]>>('messages.recentSends', { deviceIds }))),
				pacing: deviceIds => this.devicePacing(deviceIds),
				prepare: message => this.preparation.prepare(message),
				sent: (message, prepared, at) =>
					this.inboxFeed.sent({ deviceId: message.deviceId, outboxId: message.id, waMessageId: prepared.outgoing.id, to: prepared.outgoing.to, source: message.source, text: prepared.outgoing.text, mediaId: prepared.mediaId, at }),
				existingChat: async (deviceId, phone) =>
					(
						await this.db.execute<{ yes: boolean }[]>(
							`select exists (select 1 from chats c join chat_messages m on m.chat_id = c.id where c.device_id = ? and c.phone = ? and not m.from_me) as yes`,
							[deviceId, phone],
						)
					)[0]?.yes ?? false,
				logger: this.logger,
			},
			{ ...DEFAULT_DISPATCH_OPTIONS, pollMs: settings.dispatchPollMs, newChatPauseMs: settings.newChatPauseSeconds * 1000 },
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
		// What the sockets saw and sent up to their close reaches the inbox.
		await this.inboxFeed?.stop();
		await this.renewals?.close();
		this.preparation?.clear();
	},
};

export default DevicesService;
