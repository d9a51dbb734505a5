import type { Counters, MessageStatus } from '../../api/campaigns.ts';

/** The message statuses in the order a message goes through them, with their labels. */
export const MESSAGE_STATUS_LABELS: Record<MessageStatus, string> = {
	pending: 'Pending',
	sending: 'Sending',
	sent: 'Sent',
	delivered: 'Delivered',
	read: 'Read',
	failed: 'Failed',
	cancelled: 'Cancelled',
};

export const MESSAGE_STATUSES = Object.keys(MESSAGE_STATUS_LABELS) as MessageStatus[];

/** Sent, delivered or read: the message left. */
export const reachedOf = (c: Counters) => c.sent + c.delivered + c.read;

/** What the drill-down lists: one device's recipients, one status, or both; a new filter starts on page 1. */
export interface RecipientFilter {
	device?: string;
	status?: MessageStatus;
	page?: number;
}
