/** Facts the messages service tells other services (none goes to browsers as is: campaigns aggregates them). */

/** Messages were queued for these devices: the nodes holding them look now rather than at their next poll. */
export const MESSAGES_ENQUEUED = 'messages.enqueued';
export interface MessagesEnqueued {
	deviceIds: string[];
}

/** Messages of these campaigns changed status since the last such event (sent at most every PROGRESS_INTERVAL_MS). */
export const MESSAGES_PROGRESSED = 'messages.progressed';
export interface MessagesProgressed {
	campaignIds: string[];
}

/** A contact wrote to one of the user's numbers (broadcast by the devices service; leads listens for stop words). */
export const INBOX_MESSAGE_RECEIVED = 'inbox.message-received';
export interface InboxMessageReceived {
	userId: string;
	deviceId: string;
	/** E.164 with the plus. */
	from: string;
	text: string;
	messageId: string;
	at: string;
}
