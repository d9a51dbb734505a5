/** The inbox service's public contract: parameters of its actions and the shapes it returns. */
import type { ChatMessageOrigin, ChatMessageStatus } from './chat-message.entity.ts';

export type { ChatMessageOrigin, ChatMessageStatus };

/** The longest text WhatsApp takes, and the longest caption of a photo. */
export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
export const MAX_PAGE_SIZE = 200;
const MAX_PAGE = 1_000_000;

const device = { type: 'uuid', messages: { uuid: 'No such device.' } } as const;
/** The contact's number (E.164, the plus optional) or, for a contact known only by its LID, the chat's id. */
const chat = { type: 'string', min: 1, max: 40 } as const;

export const chatsParams = {
	$$strict: true,
	id: device,
	q: { type: 'string', trim: true, max: 100, optional: true },
	page: { type: 'number', integer: true, min: 1, max: MAX_PAGE, convert: true, optional: true },
	pageSize: { type: 'number', integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true },
} as const;
export interface ChatsParams {
	id: string;
	q?: string;
	page?: number;
	pageSize?: number;
}

export const messagesParams = {
	$$strict: true,
	id: device,
	chat,
	/** A message id of this chat, or an ISO 8601 instant: only older messages. */
	before: { type: 'string', max: 40, optional: true },
	limit: { type: 'number', integer: true, min: 1, max: MAX_PAGE_SIZE, convert: true, optional: true },
} as const;
export interface MessagesParams {
	id: string;
	chat: string;
	before?: string;
	limit?: number;
}

export const sendParams = {
	$$strict: true,
	id: device,
	chat,
	text: { type: 'string', max: TEXT_LIMIT, optional: true, messages: { stringMax: `WhatsApp takes at most ${TEXT_LIMIT} characters.` } },
	mediaId: { type: 'uuid', optional: true, messages: { uuid: 'No such image.' } },
	caption: { type: 'string', max: CAPTION_LIMIT, optional: true, messages: { stringMax: `A caption takes at most ${CAPTION_LIMIT} characters.` } },
} as const;
export interface SendParams {
	id: string;
	chat: string;
	text?: string;
	mediaId?: string;
	caption?: string;
}

export const chatParams = { $$strict: true, id: device, chat } as const;
export interface ChatParams {
	id: string;
	chat: string;
}

/** The last message of a chat, for its line in the list. */
export interface LastMessageDto {
	text: string;
	at: string;
	fromMe: boolean;
	status: ChatMessageStatus | null;
	image: boolean;
}

export interface ChatDto {
	id: string;
	deviceId: string;
	/** E.164 with the plus; null while only the contact's LID is known. */
	phone: string | null;
	/** The lead's name where the contact is a lead, else the name the contact gave WhatsApp, else the number. */
	name: string;
	lastMessage: LastMessageDto | null;
	unread: number;
	leadId: string | null;
	/** The contact is a lead who opted out (by a stop word or by hand). */
	optedOut: boolean;
}

export interface ChatsPage {
	items: ChatDto[];
	page: number;
	pageSize: number;
	hasMore: boolean;
}

export interface ChatMessageDto {
	id: string;
	chatId: string;
	fromMe: boolean;
	text: string;
	/** Where the photo is served to its owner (`/api/media/<id>`). */
	image: { id: string; url: string } | null;
	/** A photo that could not be fetched from WhatsApp, and why. */
	imageError: string | null;
	status: ChatMessageStatus;
	error: string | null;
	/** What sent a message to the contact: a campaign, a sequence, an AI campaign, the inbox, or the phone. */
	origin: ChatMessageOrigin | null;
	at: string;
}

/** A page of a conversation, oldest first; `hasMore`: older messages exist. */
export interface MessagesPage {
	chat: ChatDto;
	items: ChatMessageDto[];
	hasMore: boolean;
}

export interface ReadResult {
	chat: ChatDto;
	/** `sent`: the contact sees blue ticks; `later`: the number is offline, they go when it is back; `off`: the tenant does not send read receipts. */
	receipts: 'sent' | 'later' | 'off' | 'none';
}

/** Unread messages per number of the caller. */
export interface UnreadDto {
	total: number;
	devices: Record<string, number>;
}

/** A chat message as the devices node hands it over (`inbox.feed`): seen on the socket, or sent by the dispatcher. */
export interface FedMessage {
	deviceId: string;
	waMessageId: string;
	fromMe: boolean;
	/** E.164 with the plus, when known. */
	phone: string | null;
	lid: string | null;
	remoteJid: string | null;
	pushName: string | null;
	text: string;
	mediaId: string | null;
	mediaError: string | null;
	at: string;
	/** A message to the contact: what sent it. */
	origin: ChatMessageOrigin | null;
	outboxId: string | null;
}

export interface FedReceipt {
	deviceId: string;
	waMessageId: string;
	status: 'delivered' | 'read';
}

/** A contact's message read on the phone. */
export interface FedRead {
	deviceId: string;
	waMessageId: string;
}

/** `inbox.feed`: what the devices of one node saw and sent since the last call. Internal. */
export interface FeedParams {
	messages: FedMessage[];
	receipts: FedReceipt[];
	read: FedRead[];
}
