import { Errors, type Context, type Service } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { sqlOf } from '../../mixins/orm.middleware.ts';
import { TickerMixin, type TickerMethods } from '../../mixins/ticker.mixin.ts';
import { Device } from '../devices/device.entity.ts';
import { DEVICE_STATUS_CHANGED, type DeviceStatusChanged } from '../devices/devices.events.ts';
import type { MarkReadParams } from '../devices/devices.types.ts';
import { MESSAGES_SETTLED, type MessagesSettled } from '../messages/messages.events.ts';
import type { EnqueueParams, EnqueueResult } from '../messages/messages.params.ts';
import { waMessageIdOf } from '../messages/outbox.ts';
import type { UserDto } from '../users/users.params.ts';
import { ChatReader, toChatDto, toMessageDto, type ChatRow } from './chat-rows.ts';
import { InboxPublisher } from './inbox-publisher.ts';
import { InboxStore, type IngestResult } from './inbox-store.ts';
import * as P from './inbox.params.ts';

const { MoleculerClientError } = Errors;

interface Settings {
	messagesPerChat: number;
}

interface Methods extends TickerMethods {
	ingest(userId: string, deviceId: string, messages: P.FedMessage[]): Promise<void>;
	chatOf(deviceId: string, chat: string): Promise<ChatRow>;
	readReceiptsOn(userId: string): Promise<boolean>;
	sendReceipts(deviceId: string, keys: { id: string; remoteJid: string; waMessageId: string }[]): Promise<boolean>;
	queuePrune(chatIds: Iterable<string>): void;
}

interface Locals {
	store: InboxStore;
	reader: ChatReader;
	publisher: InboxPublisher;
	pruning: Set<string>;
}

type This = Service<Settings> & Methods & Locals;

const internal = { visibility: 'public', auth: 'public' } as const;
const device = { entity: Device, notFound: 'No such device.' } as const;
const NO_CHAT = 'No such chat.';
const DEFAULT_PAGE_SIZE = 50;
const RECEIPTS_PER_CALL = 500;
/** Numbers whose messages are stored at once (each holds a connection of the pool while it does). */
const DEVICES_AT_ONCE = 4;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `:chat` in a route: the contact's number (the plus optional) or, for a contact known only by its LID, the chat's id. */
function chatKey(raw: string): { phone: string } | { id: string } | undefined {
	const value = raw.trim();
	if (/^\+?\d{6,15}$/.test(value)) return { phone: `+${value.replace(/^\+/, '')}` };
	if (UUID.test(value)) return { id: value.toLowerCase() };
	return undefined;
}

function unprocessable(message: string, field: string): Error {
	return new Errors.ValidationError(message, 'VALIDATION_ERROR', [{ field, message, type: 'invalid' }]);
}

/**
 * The inbox: each number's personal chats with their latest messages, as the devices saw them and
 * as the outbox sent them; replies go through the outbox ahead of the number's queue.
 */
const InboxService: FleetServiceSchema<Settings, Methods, Locals> = {
	name: 'inbox',

	mixins: [
		EnvSettingsMixin<Settings>(env => ({ messagesPerChat: env.inboxMessagesPerChat })),
		TickerMixin<This>({
			prune: {
				everyMs: () => 1_000,
				async run() {
					const chats = [...this.pruning].slice(0, 100);
					for (const chatId of chats) {
						this.pruning.delete(chatId);
						const pruned = await this.store.prune(chatId, this.settings.messagesPerChat);
						if (pruned?.mediaIds.length) await this.broker.call<number, { userId: string; ids: string[] }>('media.forgetReceived', { userId: pruned.userId, ids: pruned.mediaIds });
					}
				},
			},
			sweep: {
				everyMs: () => 10 * 60_000,
				async run() {
					this.queuePrune(await this.store.overfull(this.settings.messagesPerChat, 1_000));
				},
			},
		}),
	],

	settings: {} as Settings,

	actions: {
		/** A number's chats, newest first; `q` matches the name, the number or the text of a message. */
		chats: {
			rest: 'GET /devices/:id/chats',
			params: P.chatsParams,
			record: device,
			async handler(ctx: Context<P.ChatsParams>): Promise<P.ChatsPage> {
				const page = ctx.params.page ?? 1;
				const pageSize = ctx.params.pageSize ?? DEFAULT_PAGE_SIZE;
				const rows = await this.reader.page(ctx.params.id, { q: ctx.params.q || undefined, limit: pageSize + 1, offset: (page - 1) * pageSize });
				return { items: rows.slice(0, pageSize).map(toChatDto), page, pageSize, hasMore: rows.length > pageSize };
			},
		},

		/** A page of a conversation, oldest first; `before` (a message id or an instant) pages back. */
		messages: {
			rest: 'GET /devices/:id/chats/:chat/messages',
			params: P.messagesParams,
			record: device,
			async handler(ctx: Context<P.MessagesParams>): Promise<P.MessagesPage> {
				const chat = await this.chatOf(ctx.params.id, ctx.params.chat);
				const limit = ctx.params.limit ?? DEFAULT_PAGE_SIZE;
				let before: { at: Date; id: string } | undefined;
				if (ctx.params.before && UUID.test(ctx.params.before)) {
					const message = await this.reader.message(chat.id, ctx.params.before.toLowerCase());
					if (!message) throw unprocessable('That message is not in this chat (any more).', 'before');
					before = { at: message.at, id: message.id };
				} else if (ctx.params.before) {
					const at = new Date(ctx.params.before);
					if (Number.isNaN(at.getTime())) throw unprocessable('"before" is a message id or a date and time such as 2026-12-05T15:04:00Z.', 'before');
					before = { at, id: '00000000-0000-0000-0000-000000000000' };
				}
				const rows = await this.reader.messages(chat.id, before, limit + 1);
				return { chat: toChatDto(chat), items: rows.slice(0, limit).reverse().map(toMessageDto), hasMore: rows.length > limit };
			},
		},

		/** Replies with a text, or an image with an optional caption, ahead of the number's queue. */
		send: {
			rest: 'POST /devices/:id/chats/:chat/messages',
			params: P.sendParams,
			record: device,
			async handler(ctx: Context<P.SendParams, { $statusCode?: number }>): Promise<P.ChatMessageDto> {
				const { id: deviceId, mediaId } = ctx.params;
				const text = ctx.params.text?.trim() ?? '';
				const caption = ctx.params.caption?.trim() ?? '';
				if (mediaId && text) throw unprocessable('Send a text, or an image with a caption: not both.', 'text');
				if (!mediaId && caption) throw unprocessable('A caption goes with an image (mediaId).', 'caption');
				if (!mediaId && !text) throw unprocessable('Write a message first.', 'text');
				const chat = await this.chatOf(deviceId, ctx.params.chat);
				if (!chat.phone) throw new MoleculerClientError("This contact's number is not known yet: answer when they write again.", 422, 'NO_NUMBER');
				const userId = userOf(ctx).id;
				if (mediaId && !(await ctx.call<string[], { userId: string; ids: string[] }>('media.owned', { userId, ids: [mediaId] })).length) throw unprocessable('No such image.', 'mediaId');
				const body = mediaId ? caption : text;
				// In the chat before it is queued: however fast it goes out or fails, its row is there to show it.
				const outboxId = crypto.randomUUID();
				const stored = await this.store.reply(userId, deviceId, chat.id, { outboxId, waMessageId: waMessageIdOf(outboxId), text: body, mediaId: mediaId ?? null });
				try {
					await ctx.call<EnqueueResult, EnqueueParams>('messages.enqueue', {
						userId,
						source: 'inbox',
						sourceId: chat.id,
						messages: [{ id: outboxId, key: outboxId, deviceId, leadId: chat.lead_id, recipient: chat.phone, body, mediaId: mediaId ?? null }],
					});
				} catch (err) {
					await this.store.forget(stored.row.id);
					throw err;
				}
				await this.publisher.messages(userId, [stored.row], [chat.id]);
				ctx.meta.$statusCode = 201;
				return toMessageDto(stored.row);
			},
		},

		/** Marks a chat read here and, unless the tenant turned it off, on the contact's phone (blue ticks). */
		read: {
			rest: 'POST /devices/:id/chats/:chat/read',
			params: P.chatParams,
			record: device,
			async handler(ctx: Context<P.ChatParams>): Promise<P.ReadResult> {
				const userId = userOf(ctx).id;
				const chat = await this.chatOf(ctx.params.id, ctx.params.chat);
				const receipts = await this.readReceiptsOn(userId);
				const keys = await this.store.markRead(chat.id, receipts);
				let result: P.ReadResult['receipts'] = 'none';
				if (keys.length) {
					await this.publisher.chats(userId, [chat.id]);
					result = !receipts ? 'off' : (await this.sendReceipts(ctx.params.id, keys)) ? 'sent' : 'later';
				}
				const [row] = await this.reader.byIds([chat.id]);
				return { chat: toChatDto(row ?? chat), receipts: result };
			},
		},

		/** Unread messages of each of the caller's numbers, for the menu. */
		unread: {
			rest: 'GET /inbox/unread',
			async handler(ctx: Context): Promise<P.UnreadDto> {
				const devices = await this.reader.unread(userOf(ctx).id);
				let total = 0;
				for (const n of devices.values()) total += n;
				return { total, devices: Object.fromEntries(devices) };
			},
		},

		/** What a node's devices saw and sent. Internal (the devices service calls it). */
		feed: {
			...internal,
			async handler(ctx: Context<P.FeedParams>): Promise<void> {
				const { messages, receipts, read } = ctx.params;
				const byDevice = new Map<string, P.FedMessage[]>();
				for (const m of messages) {
					const list = byDevice.get(m.deviceId);
					if (list) list.push(m);
					else byDevice.set(m.deviceId, [m]);
				}
				const owners = await this.store.owners([...new Set([...byDevice.keys(), ...receipts.map(r => r.deviceId), ...read.map(r => r.deviceId)])]);
				// Numbers side by side (each under its own lock), each number's messages in order.
				const devices = [...byDevice].filter(([deviceId]) => owners.has(deviceId));
				const next = () => devices.shift();
				const worker = async () => {
					for (let item = next(); item; item = next()) await this.ingest(owners.get(item[0])!, item[0], item[1]);
				};
				await Promise.all(Array.from({ length: Math.min(DEVICES_AT_ONCE, devices.length) }, worker));
				const ours = (r: { deviceId: string }) => owners.has(r.deviceId);
				await this.publisher.statuses(await this.store.receipts(receipts.filter(ours)));
				const readChats = await this.store.readElsewhere(read.filter(ours));
				await this.publisher.chatsAnyOwner(readChats);
			},
		},
	},

	events: {
		/** An inbox reply the outbox gave up on shows so, with the reason. */
		[MESSAGES_SETTLED]: {
			async handler(ctx: Context<MessagesSettled>) {
				const outcomes = ctx.params.messages
					.filter(m => m.source === 'inbox' && (m.status === 'failed' || m.status === 'cancelled'))
					.map(m => ({ deviceId: m.deviceId, waMessageId: waMessageIdOf(m.id), status: m.status as 'failed' | 'cancelled', error: m.error }));
				await this.publisher.statuses(await this.store.settled(outcomes));
			},
		},

		/** A number back online sends the read receipts it owes. */
		[DEVICE_STATUS_CHANGED]: {
			async handler(ctx: Context<DeviceStatusChanged>) {
				const { deviceId, userId, status } = ctx.params;
				if (status !== 'online' || !(await this.readReceiptsOn(userId))) return;
				for (;;) {
					const keys = await this.store.dueReceipts(deviceId, RECEIPTS_PER_CALL);
					if (!keys.length || !(await this.sendReceipts(deviceId, keys)) || keys.length < RECEIPTS_PER_CALL) return;
				}
			},
		},
	},

	methods: {
		/**
		 * Stores one device's messages and tells who needs to know. A message whose values the
		 * database refuses is set aside with a warning, so it cannot hold back the others.
		 */
		async ingest(userId, deviceId, messages) {
			let result: IngestResult;
			try {
				result = await this.store.ingest(userId, deviceId, messages, this.settings.messagesPerChat);
			} catch (err) {
				// Anything but a value the database refuses (SQLSTATE class 22) is tried again by the caller.
				if (!/^22/.test(String((err as { code?: unknown }).code))) throw err;
				if (messages.length === 1) {
					this.logger.warn(`A message device ${deviceId} saw could not be stored and is skipped: ${(err as Error).message}`);
					return;
				}
				for (const message of messages) await this.ingest(userId, deviceId, [message]);
				return;
			}
			try {
				const chats = await this.publisher.ingested(userId, result);
				this.queuePrune(chats.filter(c => c.message_count > this.settings.messagesPerChat).map(c => c.id));
			} catch (err) {
				this.logger.warn(`Announcing the messages of device ${deviceId} failed (they are stored): ${(err as Error).message}`);
			}
		},

		async chatOf(deviceId, raw) {
			const key = chatKey(raw);
			const chat = key && (await this.reader.find(deviceId, key));
			if (!chat) throw new MoleculerClientError(NO_CHAT, 404, 'NOT_FOUND');
			return chat;
		},

		async readReceiptsOn(userId) {
			const user = await this.broker.call<UserDto, object>('users.me', {}, { meta: { user: { id: userId } } });
			return user.readReceipts;
		},

		/** Sends read receipts through the node holding the device; false when it is not online. */
		async sendReceipts(deviceId, keys) {
			const sent = await this.broker
				.call<boolean, MarkReadParams>('devices.markRead', { deviceId, keys: keys.map((k: { waMessageId: string; remoteJid: string }) => ({ id: k.waMessageId, remoteJid: k.remoteJid })) })
				.catch((err: Error) => {
					this.logger.warn(`Read receipts for device ${deviceId} could not be sent now: ${err.message}`);
					return false;
				});
			if (sent) await this.store.receiptsSent(keys.map((k: { id: string }) => k.id));
			return sent;
		},

		queuePrune(chatIds) {
			for (const id of chatIds) this.pruning.add(id);
		},
	},

	created() {
		this.pruning = new Set();
	},

	started() {
		const sql = sqlOf(this.broker);
		this.store = new InboxStore(sql);
		this.reader = new ChatReader(sql);
		this.publisher = new InboxPublisher(this.broker, this.reader);
		void this.tickNow('sweep');
	},
};

export default InboxService;
