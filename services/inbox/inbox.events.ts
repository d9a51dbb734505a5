/** Facts the inbox service broadcasts. Each carries `userId`: it is delivered to that user only. */
import { browserEventNames } from '../shared/browser-events.ts';
import type { ChatDto, ChatMessageDto, ChatMessageStatus } from './inbox.params.ts';

/** A message joined a chat: a contact's, one sent from the phone, or one Fleetcast sent. */
export const INBOX_MESSAGE = 'inbox.message';
export interface InboxMessage {
	userId: string;
	deviceId: string;
	chatId: string;
	/** E.164 with the plus; null while only the contact's LID is known. */
	phone: string | null;
	message: ChatMessageDto;
}

/** A chat's line changed (last message, unread count, name); `deviceUnread`: the number's unread total now. */
export const INBOX_CHAT_UPDATED = 'inbox.chat-updated';
export interface InboxChatUpdated {
	userId: string;
	deviceId: string;
	chat: ChatDto;
	deviceUnread: number;
}

/** A chat that was known only by the contact's LID turned out to be another chat's contact: it went into that one. */
export const INBOX_CHAT_MERGED = 'inbox.chat-merged';
export interface InboxChatMerged {
	userId: string;
	deviceId: string;
	/** The chat that is gone. */
	fromChatId: string;
	chat: ChatDto;
}

/** A message's ticks moved (sent, delivered, read), or it failed or was cancelled. */
export const INBOX_MESSAGE_STATUS = 'inbox.message-status';
export interface InboxMessageStatus {
	userId: string;
	deviceId: string;
	chatId: string;
	messageId: string;
	status: ChatMessageStatus;
	error: string | null;
}

/**
 * A contact wrote to one of the user's numbers (once per message, after it is stored). Not for
 * browsers: leads listen for stop words, sequences for replies.
 */
export const INBOX_RECEIVED = 'inbox.received';
export interface InboxReceived {
	userId: string;
	deviceId: string;
	/** E.164 with the plus. */
	from: string;
	text: string;
	messageId: string;
	at: string;
}

/** The inbox events the owner's browser tabs receive, with their payloads. */
export interface InboxBrowserEvents {
	[INBOX_MESSAGE]: InboxMessage;
	[INBOX_CHAT_UPDATED]: InboxChatUpdated;
	[INBOX_CHAT_MERGED]: InboxChatMerged;
	[INBOX_MESSAGE_STATUS]: InboxMessageStatus;
}
export const INBOX_BROWSER_EVENTS = browserEventNames<InboxBrowserEvents>({
	[INBOX_MESSAGE]: true,
	[INBOX_CHAT_UPDATED]: true,
	[INBOX_CHAT_MERGED]: true,
	[INBOX_MESSAGE_STATUS]: true,
});
