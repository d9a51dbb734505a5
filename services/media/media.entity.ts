import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from '../users/user.entity.ts';

/**
 * An image ready to send: always a JPEG of at most 350 KB, so it lives in PostgreSQL and every
 * node of a cluster can read it. One row per user and file: uploading the same file again finds it.
 */
export const Media = defineEntity({
	name: 'Media',
	tableName: 'media',
	properties: {
		id: p.uuid().primary().onCreate(() => crypto.randomUUID()),
		user: () => p.manyToOne(User).deleteRule('cascade'),
		contentType: p.string().length(64),
		/** Loaded only when the image itself is asked for. */
		bytes: p.blob().lazy(),
		size: p.integer(),
		width: p.integer(),
		height: p.integer(),
		/** SHA-256 (hex) of the file as it was received, so a repeat is found before any re-encoding. */
		sha256: p.string().length(64),
		originalName: p.string().length(255).nullable(),
		/** `received`: an image a contact sent, deleted with the last message that shows it; `upload`: the user's own. */
		origin: p.string().length(16).$type<'upload' | 'received'>().default('upload'),
		createdAt: p.datetime().onCreate(() => new Date()),
	},
	uniques: [{ properties: ['user', 'sha256'] }],
});
export type Media = InferEntity<typeof Media>;
