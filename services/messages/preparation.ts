import { BatchLoader } from './batch-loader.ts';
import type { TenantGreetings } from './compose.ts';
import type { MessageSource } from './message.entity.ts';
import type { MessageContent, RecipientFields } from './messages.params.ts';
import { waMessageIdOf, type ClaimedMessage } from './outbox.ts';
import { CannotBeSentError, MessageTooLongError, renderMessage } from './render.ts';
import { WHATSAPP_TEXT_LIMIT } from './compose.ts';

export { CannotBeSentError, MessageTooLongError };

/**
 * Where a source's messages find, at send time, their template (`content`: an action answering
 * `{ ids }` with a MessageContent per record) and their recipient's fields (`fields`: an action
 * answering `{ ids }` with RecipientFields per lead). A message with a literal body needs neither.
 */
export const SOURCE_LOOKUPS: Record<MessageSource, { content?: string; fields?: string }> = {
	campaign: { content: 'campaigns.messageContent', fields: 'leads.messageFields' },
	sequence: { content: 'sequences.messageContent', fields: 'leads.messageFields' },
	ai: { content: 'ai-campaigns.messageContent', fields: 'ai-campaigns.leadFields' },
	inbox: {},
};

/** What sending a message needs of its tenant (`users.sendingSettings`). */
export interface TenantSettings {
	timeZone: string;
	greetings: TenantGreetings;
	/** The tenant's numbers show "typing…" before each message (on when not said). */
	typing?: boolean;
}

/** A message ready for the WhatsApp driver, and the pause its source asks for after it. */
export interface PreparedMessage {
	outgoing: {
		/** Digits only. */
		to: string;
		id: string;
		text: string;
		image?: { data: Buffer; mimetype: string };
	};
	/** The stored image it shows, if any (the inbox shows it in the chat). */
	mediaId: string | null;
	minDelaySeconds: number;
	maxDelaySeconds: number;
	/** Whether the number shows "typing…" first (its tenant's setting). */
	typing?: boolean;
}

/** A message that must not go out any more (its lead opted out or was deleted, its source is gone). */
export class NotToBeSentError extends Error {}

/**
 * Whether a message that could not be prepared never can be: its text is too long, or a service
 * refused it for good (a 4xx: its image is gone). A service or the database out for a moment is not.
 */
export function lastingFailure(err: unknown): boolean {
	const { code, retryable } = err as { code?: unknown; retryable?: unknown };
	// Moleculer marks "no such service right now" retryable, though its code is 404.
	return err instanceof CannotBeSentError || (typeof code === 'number' && code >= 400 && code < 500 && retryable !== true);
}

export interface PreparationDeps {
	call<T>(action: string, params: object): Promise<T>;
}

export interface PreparationOptions {
	/** A source's template is asked again after this long: an edit reaches queued messages within it. */
	contentTtlMs: number;
	/** A tenant's zone and greetings are trusted this long without a change event (one this node missed). */
	tenantTtlMs: number;
}

export const DEFAULT_PREPARATION_OPTIONS: PreparationOptions = { contentTtlMs: 5_000, tenantTtlMs: 5 * 60_000 };

/**
 * Turns a claimed message into what the driver sends: the source's template rendered with the
 * lead's fields as they are now (a lead that opted out meanwhile gets nothing), the tenant's zone
 * and greetings, and the image. Look-ups are batched across the messages of one claim.
 */
export class MessagePreparation {
	private readonly contents: BatchLoader<MessageContent>;
	private readonly fields: BatchLoader<RecipientFields>;
	private readonly tenants: BatchLoader<TenantSettings>;
	/** A few images at a time (a campaign's, an inbox's); each is at most 350 KB. */
	private readonly images: BatchLoader<{ data: Buffer; mimetype: string }>;

	constructor(
		private readonly deps: PreparationDeps,
		options: PreparationOptions = DEFAULT_PREPARATION_OPTIONS,
	) {
		this.contents = new BatchLoader(keys => this.lookUp(keys), options.contentTtlMs);
		this.fields = new BatchLoader(keys => this.lookUp(keys), 0);
		this.tenants = new BatchLoader(async userIds => {
			const found = await deps.call<Record<string, TenantSettings>>('users.sendingSettings', { userIds });
			return new Map(userIds.map(id => [id, found[id] ?? { timeZone: 'UTC', greetings: {}, typing: true }]));
		}, options.tenantTtlMs);
		this.images = new BatchLoader(
			async keys => {
				// Each image on its own: one that is gone fails only the messages that show it.
				const images = await Promise.all(
					keys.map(async key => {
						const [userId, id] = key.split('/');
						try {
							const media = await deps.call<{ contentType: string; data: string }>('media.content', { id, userId });
							return [key, { data: Buffer.from(media.data, 'base64'), mimetype: media.contentType }] as const;
						} catch (err) {
							return [key, err as Error] as const;
						}
					}),
				);
				return new Map<string, { data: Buffer; mimetype: string } | Error>(images);
			},
			10 * 60_000,
			32,
		);
	}

	/** The tenant's zone and greetings (also what the dispatcher's quiet hours use). */
	async tenant(userId: string): Promise<TenantSettings> {
		return (await this.tenants.load(userId))!;
	}

	/** A source record's content changed or stopped: its next message reads it again. */
	contentChanged(source: MessageSource, sourceId: string): void {
		const action = SOURCE_LOOKUPS[source].content;
		if (action) this.contents.delete(`${action}:${sourceId}`);
	}

	/** The tenant's settings changed: the next message renders with them. */
	tenantChanged(userId: string, settings: TenantSettings): void {
		this.tenants.set(userId, settings);
	}

	/** Throws NotToBeSentError when the message must not go out any more, CannotBeSentError when it never can. */
	async prepare(message: ClaimedMessage): Promise<PreparedMessage> {
		const lookups = SOURCE_LOOKUPS[message.source];
		const literal = message.body !== null;
		const [content, lead, tenant] = await Promise.all([
			literal ? undefined : this.contentOf(message, lookups.content),
			message.leadId && lookups.fields ? this.fields.load(`${lookups.fields}:${message.leadId}`) : undefined,
			this.tenant(message.userId),
		]);
		if (message.leadId && lookups.fields) {
			if (!lead || lead.userId !== message.userId) throw new NotToBeSentError('cancelled: the lead was deleted');
			if (lead.optedOut) throw new NotToBeSentError('cancelled: the lead opted out');
		}
		const id = waMessageIdOf(message.id);
		let text: string;
		if (content) {
			const fields = lead ? { name: lead.name, niches: lead.niches, targetStatus: lead.targetStatus, notes: lead.notes } : {};
			text = renderMessage({ template: content.text, greeting: content.greeting, seed: id, recipient: message.recipient, lead: fields }, tenant);
		} else {
			text = message.body ?? '';
			if (text.length > WHATSAPP_TEXT_LIMIT) throw new MessageTooLongError(text.length);
		}
		const mediaId = message.mediaId ?? content?.mediaId ?? null;
		const prepared: PreparedMessage = {
			outgoing: { to: message.recipient.replace(/^\+/, ''), id, text },
			mediaId,
			minDelaySeconds: content?.minDelaySeconds ?? 0,
			maxDelaySeconds: content?.maxDelaySeconds ?? 0,
			typing: tenant.typing !== false,
		};
		if (mediaId) prepared.outgoing.image = await this.images.load(`${message.userId}/${mediaId}`);
		return prepared;
	}

	/** Forgets what is cached (the node stops). */
	clear(): void {
		this.contents.clear();
		this.tenants.clear();
		this.images.clear();
	}

	private async contentOf(message: ClaimedMessage, action: string | undefined): Promise<MessageContent> {
		if (!action) throw new CannotBeSentError(`failed: a ${message.source} message needs a text`);
		const content = await this.contents.load(`${action}:${message.sourceId}`);
		if (!content || content.userId !== message.userId) throw new NotToBeSentError(`cancelled: its ${message.source} no longer exists`);
		if (content.stopped) throw new NotToBeSentError(`cancelled: ${content.stopped}`);
		return content;
	}

	/** Asks each action once for the ids of its keys (`<action>:<id>`); an action that fails fails only its own keys. */
	private async lookUp<V>(keys: string[]): Promise<Map<string, V | Error>> {
		const byAction = new Map<string, string[]>();
		for (const key of keys) {
			const cut = key.lastIndexOf(':');
			const action = key.slice(0, cut);
			const ids = byAction.get(action);
			if (ids) ids.push(key.slice(cut + 1));
			else byAction.set(action, [key.slice(cut + 1)]);
		}
		const found = new Map<string, V | Error>();
		await Promise.all(
			[...byAction].map(async ([action, ids]) => {
				try {
					const values = await this.deps.call<Record<string, V>>(action, { ids });
					for (const id of ids) if (values[id]) found.set(`${action}:${id}`, values[id]);
				} catch (err) {
					for (const id of ids) found.set(`${action}:${id}`, err as Error);
				}
			}),
		);
		return found;
	}
}
