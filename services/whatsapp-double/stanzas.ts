import { randomBytes } from 'node:crypto';
import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys';

/** Small builders and readers for the stanzas every handler deals with. */

export const SERVER = 's.whatsapp.net';

export function result(iq: BinaryNode, content?: BinaryNode[]): BinaryNode {
	return { tag: 'iq', attrs: { from: SERVER, type: 'result', id: iq.attrs.id }, content };
}

export function iqError(iq: BinaryNode, code: number, text: string): BinaryNode {
	return { tag: 'iq', attrs: { from: SERVER, type: 'error', id: iq.attrs.id }, content: [{ tag: 'error', attrs: { code: String(code), text } }] };
}

export const serverId = () => randomBytes(6).toString('hex');

/** A message id in the shape WhatsApp clients use (`3EB0` + hex). */
export const messageId = () => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;

export const node = (tag: string, attrs: Record<string, string> = {}, content?: BinaryNode['content']): BinaryNode => ({ tag, attrs, content });

export function children(parent: BinaryNode | undefined, tag?: string): BinaryNode[] {
	if (!parent || !Array.isArray(parent.content)) return [];
	return tag ? parent.content.filter(c => c.tag === tag) : parent.content;
}

export const child = (parent: BinaryNode | undefined, tag: string) => getBinaryNodeChild(parent, tag);

export function bytes(parent: BinaryNode | undefined, tag: string): Buffer | undefined {
	const content = child(parent, tag)?.content;
	if (content instanceof Uint8Array) return Buffer.from(content);
	if (typeof content === 'string') return Buffer.from(content, 'utf8');
	return undefined;
}

export const firstChildTag = (parent: BinaryNode) => children(parent)[0]?.tag;

export function bigEndian(value: number, length: number): Buffer {
	const out = Buffer.alloc(length);
	out.writeUIntBE(value, 0, length);
	return out;
}
