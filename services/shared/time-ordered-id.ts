let lastMs = 0;
let sequence = 0;

/**
 * A UUID (version 7) that sorts by when it was made: milliseconds first, then a counter within
 * the millisecond, then random bits. Rows ordered by (time, id) keep the order they arrived in
 * when their times tie (WhatsApp stamps messages to the second).
 */
export function timeOrderedId(): string {
	const now = Date.now();
	if (now > lastMs) {
		lastMs = now;
		sequence = 0;
	} else if (++sequence > 0xfff) {
		lastMs += 1;
		sequence = 0;
	}
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	let ms = lastMs;
	for (let i = 5; i >= 0; i--) {
		bytes[i] = ms % 256;
		ms = Math.floor(ms / 256);
	}
	bytes[6] = 0x70 | (sequence >> 8);
	bytes[7] = sequence & 0xff;
	bytes[8] = (bytes[8]! & 0x3f) | 0x80;
	const hex = Buffer.from(bytes).toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
