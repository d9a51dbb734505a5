import type { WhatsAppDouble } from '../whatsapp-double/index.ts';

/**
 * Demo contacts who answer the first message a number sends them, as people do: a thank-you, a
 * question, and one who wants no more (a stop word, so opt-out can be seen). Others stay quiet.
 */
export const AUTO_REPLIES: Record<string, string> = {
	'60123450001': 'Thank you! 🙏',
	'60123450002': 'Sounds good. How much is it, and do you deliver to Penang?',
	'60123450003': 'STOP',
};

export interface AutoReplyTiming {
	/** Before the contact starts typing. */
	readMs: number;
	/** Typing, before the answer goes. */
	typingMs: number;
}

/** Starts answering; returns the function that stops it (pending answers are dropped). */
export function startAutoReplies(double: WhatsAppDouble, timing: AutoReplyTiming, onError: (err: Error) => void): () => void {
	const answered = new Set<string>();
	const timers = new Set<NodeJS.Timeout>();
	const later = (ms: number, work: () => Promise<void>) => {
		const timer = setTimeout(() => {
			timers.delete(timer);
			work().catch(onError);
		}, ms);
		timers.add(timer);
	};
	const unsubscribe = double.events.subscribe(event => {
		if (event.type !== 'contact.received') return;
		const reply = AUTO_REPLIES[event.contact];
		const from = event.from.split(/[:@]/)[0]!;
		const pair = `${event.contact} ${from}`;
		const contact = double.contact(event.contact);
		if (!reply || !contact || !double.account(from) || answered.has(pair)) return;
		answered.add(pair);
		later(timing.readMs, async () => {
			await contact.typing(from, 'composing');
			later(timing.typingMs, async () => {
				await contact.sendText(from, reply);
			});
		});
	});
	return () => {
		unsubscribe();
		for (const timer of timers) clearTimeout(timer);
		timers.clear();
	};
}
