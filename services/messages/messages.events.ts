/** Facts the messages service tells other services (none goes to browsers as is: each source aggregates them). */
import type { SettledMessage } from './outbox.ts';

export type { SettledMessage };

/**
 * What a source record's messages say changed, or they must not go out any more (a cancel, a
 * step edited): the nodes sending forget what they remembered of it. Broadcast by the source.
 */
export const MESSAGE_CONTENT_CHANGED = 'messages.content-changed';
export interface MessageContentChanged {
	source: SettledMessage['source'];
	sourceId: string;
}

/** Messages were queued for these devices: the nodes holding them look now rather than at their next poll. */
export const MESSAGES_ENQUEUED = 'messages.enqueued';
export interface MessagesEnqueued {
	deviceIds: string[];
	/** A person's reply is among them: it goes now, whatever the pacing holds. */
	urgent?: boolean;
}

/**
 * Messages changed to a status a source acts on (sent, delivered, read, failed, cancelled), each
 * change once, in batches at most every PROGRESS_INTERVAL_MS. Emitted to one instance of each
 * subscribing service: sources filter by `source` and act on their own records.
 */
export const MESSAGES_SETTLED = 'messages.settled';
export interface MessagesSettled {
	messages: SettledMessage[];
}
