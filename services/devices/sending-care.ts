/** What a number does to send as a careful person would: type first, and back off when WhatsApp holds its new chats. */
import { DAY_MS } from './pacing.ts';

/** The longest a number shows "typing…" before a message. */
export const MAX_TYPING_MS = 8_000;

/** How long a person takes to type `text`: about 5 characters a second, at least 1.5 s, at most MAX_TYPING_MS. */
export function typingMs(text: string): number {
	return Math.min(MAX_TYPING_MS, Math.max(1_500, Math.round(text.length * 200)));
}

/** WhatsApp's answer when it holds a number's new chats (the reach-out timelock). */
export const NEW_CHATS_HELD = '463';

/** The pause after a 463: `base` the first time, twice the last one on a repeat, never more than a day. */
export function nextNewChatPause(lastMs: number | undefined, baseMs: number): number {
	return lastMs === undefined ? baseMs : Math.min(DAY_MS, lastMs * 2);
}

/** Why a message to a new contact waits. */
export const heldText = (until: number) => `held: WhatsApp paused this number's new chats (463); tried again after ${new Date(until).toISOString()}`;
