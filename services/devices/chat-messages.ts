import { downloadMediaMessage, isLidUser, isPnUser, jidNormalizedUser, normalizeMessageContent, proto, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { ChatMessageSeen } from './whatsapp-driver.ts';

/** A photo that takes longer than this to fetch is shown as missing rather than holding up the chat. */
const DOWNLOAD_TIMEOUT_MS = 30_000;

/** Text and whether it is a photo, for the kinds the inbox shows; undefined for the rest (reactions, polls, protocol messages, stubs…). */
export function chatContentOf(message: proto.IMessage | null | undefined): { text: string; image?: proto.Message.IImageMessage } | undefined {
	const content = normalizeMessageContent(message);
	if (!content) return undefined;
	if (content.imageMessage) return { text: content.imageMessage.caption ?? '', image: content.imageMessage };
	const text = content.conversation ?? content.extendedTextMessage?.text;
	return typeof text === 'string' ? { text } : undefined;
}

/**
 * The contact of a personal chat, by number and LID: from the message's two JIDs (WhatsApp gives
 * the other form as `remoteJidAlt`), else from the LID mapping Baileys keeps. Undefined for groups,
 * broadcasts, newsletters and the chat with oneself.
 */
export async function contactOf(socket: WASocket, key: proto.IMessageKey & { remoteJidAlt?: string | null }, ownPhone: string | undefined) {
	const remoteJid = key.remoteJid;
	if (!remoteJid || !(isPnUser(remoteJid) || isLidUser(remoteJid))) return undefined;
	const jids = [remoteJid, key.remoteJidAlt].filter((j): j is string => Boolean(j)).map(jidNormalizedUser);
	// On our own messages the alternative may be our own number.
	let phoneJid = jids.find(j => isPnUser(j) && j.split('@')[0] !== ownPhone);
	const lid = jids.find(j => isLidUser(j)) ?? null;
	if (!phoneJid && lid) {
		const mapped = await socket.signalRepository.lidMapping.getPNForLID(lid).catch(() => null);
		if (mapped) phoneJid = jidNormalizedUser(mapped);
	}
	const phone = phoneJid?.split('@')[0] ?? null;
	if (phone && phone === ownPhone) return undefined;
	if (!phone && !lid) return undefined;
	return { remoteJid, phone, lid };
}

/** A Baileys message as the inbox keeps it, with its photo fetched; undefined when the inbox does not show it. */
export async function chatMessageOf(socket: WASocket, message: WAMessage, logger: object): Promise<ChatMessageSeen | undefined> {
	const { key } = message;
	if (!key.id) return undefined;
	const content = chatContentOf(message.message);
	if (!content) return undefined;
	const ownPhone = socket.user?.id ? jidNormalizedUser(socket.user.id).split('@')[0] : undefined;
	const contact = await contactOf(socket, key, ownPhone);
	if (!contact) return undefined;
	const seconds = Number(message.messageTimestamp ?? 0);
	const seen: ChatMessageSeen = {
		id: key.id,
		fromMe: Boolean(key.fromMe),
		...contact,
		pushName: key.fromMe ? null : (message.pushName ?? null),
		text: content.text,
		at: seconds ? new Date(seconds * 1000) : new Date(),
	};
	if (content.image) seen.image = await photoOf(socket, message, content.image.mimetype ?? 'image/jpeg', logger);
	return seen;
}

async function photoOf(socket: WASocket, message: WAMessage, mimetype: string, logger: object): Promise<ChatMessageSeen['image']> {
	try {
		const data = await downloadMediaMessage(message, 'buffer', { options: { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) } }, { logger: logger as never, reuploadRequest: socket.updateMediaMessage });
		return { data, mimetype };
	} catch (err) {
		return { error: `The photo could not be fetched from WhatsApp (${(err as Error).message.slice(0, 100)})` };
	}
}
