import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Errors, type Context } from 'moleculer';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import { userOf } from '../../mixins/auth.middleware.ts';
import { EnvSettingsMixin } from '../../mixins/env-settings.mixin.ts';
import { emOf } from '../../mixins/orm.middleware.ts';
import { recordOf } from '../../mixins/record.middleware.ts';
import { DownloadFailed, downloadImage } from './download.ts';
import { ImageRejected, normaliseImage } from './image.ts';
import { Media } from './media.entity.ts';
import * as P from './media.params.ts';

const { MoleculerClientError, ValidationError } = Errors;

export interface MediaSettings {
	uploadLimitBytes: number;
	urlLimitBytes: number;
	urlTimeoutMs: number;
	/** Fetch from private, loopback and link-local addresses too (tests, closed networks). */
	allowPrivateUrls: boolean;
	maxPixels: number;
}

/** What an action may ask the gateway to do with its answer. */
interface ResponseMeta {
	$statusCode?: number;
	$responseType?: string;
}

interface Methods {
	store(ctx: Context<unknown, ResponseMeta>, userId: string, input: Buffer, originalName: string | null, origin?: Media['origin']): Promise<P.MediaDto>;
}

const NOT_FOUND = 'No such image.';

function toMediaDto(media: Media): P.MediaDto {
	return { id: media.id, contentType: media.contentType, size: media.size, width: media.width, height: media.height, url: `/api/media/${media.id}` };
}

/** A refused file or address as the error the user sees: 400 for a malformed address, 422 for the rest. */
function toClientError(err: unknown): Error {
	if (err instanceof DownloadFailed && err.code === 'BAD_URL') {
		return new ValidationError(err.message, 'VALIDATION_ERROR', [{ field: 'url', message: err.message, type: 'url' }]);
	}
	if (err instanceof DownloadFailed || err instanceof ImageRejected) return new MoleculerClientError(err.message, 422, err.code);
	return err as Error;
}

/** The file name at the end of an address, if it has one. */
function nameInUrl(url: URL): string | null {
	const last = url.pathname.split('/').filter(Boolean).at(-1);
	if (!last) return null;
	try {
		return decodeURIComponent(last).slice(0, 255);
	} catch {
		return last.slice(0, 255);
	}
}

const MediaService: FleetServiceSchema<MediaSettings, Methods> = {
	name: 'media',

	mixins: [
		EnvSettingsMixin<MediaSettings>(env => ({
			uploadLimitBytes: env.mediaUploadLimitBytes,
			urlLimitBytes: env.mediaUrlLimitBytes,
			urlTimeoutMs: env.mediaUrlTimeoutMs,
			allowPrivateUrls: env.mediaUrlAllowPrivate,
			maxPixels: env.mediaMaxPixels,
		})),
	],

	settings: {} as MediaSettings,

	actions: {
		/** Stores an uploaded image, re-encoded to send; the same file again answers the same image (200, not 201). */
		upload: {
			rest: 'POST /media',
			body: 'image',
			params: P.uploadParams,
			async handler(ctx: Context<P.UploadParams, ResponseMeta>): Promise<P.MediaDto> {
				const input = Buffer.from(ctx.params.data, 'base64');
				if (input.length > this.settings.uploadLimitBytes) {
					throw new MoleculerClientError(`The file is over the ${Math.round(this.settings.uploadLimitBytes / 1024 / 1024)} MB limit.`, 413, 'MEDIA_TOO_LARGE');
				}
				return this.store(ctx, userOf(ctx).id, input, ctx.params.name || null);
			},
		},

		/** Fetches an image from a public http(s) address and stores it like an upload. */
		fromUrl: {
			rest: 'POST /media/from-url',
			params: P.fromUrlParams,
			async handler(ctx: Context<P.FromUrlParams, ResponseMeta>): Promise<P.MediaDto> {
				const { urlLimitBytes, urlTimeoutMs, allowPrivateUrls } = this.settings;
				const downloaded = await downloadImage(ctx.params.url, { limitBytes: urlLimitBytes, timeoutMs: urlTimeoutMs, allowPrivate: allowPrivateUrls }).catch(err => {
					throw toClientError(err);
				});
				return this.store(ctx, userOf(ctx).id, downloaded.data, nameInUrl(downloaded.url));
			},
		},

		/** The image itself, to its owner only; the gateway sends `$binary` as the raw body. */
		get: {
			rest: 'GET /media/:id',
			params: P.idParams,
			record: { entity: Media, notFound: NOT_FOUND, populate: ['bytes'] },
			handler(ctx: Context<P.IdParams, ResponseMeta>): { $binary: string } {
				const media = recordOf<Media>(ctx);
				ctx.meta.$responseType = media.contentType;
				return { $binary: media.bytes.toString('base64') };
			},
		},

		remove: {
			rest: 'DELETE /media/:id',
			params: P.idParams,
			async handler(ctx: Context<P.IdParams, ResponseMeta>) {
				const removed = await emOf(ctx).nativeDelete(Media, { id: ctx.params.id, user: userOf(ctx).id });
				if (!removed) throw new MoleculerClientError(NOT_FOUND, 404, 'NOT_FOUND');
				ctx.meta.$statusCode = 204;
				return null;
			},
		},

		/** Stores a photo a contact sent to one of `userId`'s numbers. Internal: no REST route, and the caller names the owner. */
		storeReceived: {
			auth: 'public',
			visibility: 'public',
			params: P.storeReceivedParams,
			async handler(ctx: Context<P.StoreReceivedParams, ResponseMeta>): Promise<P.MediaDto> {
				return this.store(ctx, ctx.params.userId, Buffer.from(ctx.params.data, 'base64'), null, 'received');
			},
		},

		/** Which of these images `userId` owns. Internal: no REST route, and the caller names the owner. */
		owned: {
			auth: 'public',
			visibility: 'public',
			params: P.idsOfParams,
			async handler(ctx: Context<P.IdsOfParams>): Promise<string[]> {
				const rows = await emOf(ctx).find(Media, { id: { $in: ctx.params.ids }, user: ctx.params.userId }, { fields: ['id'] });
				return rows.map(r => r.id);
			},
		},

		/** Deletes photos contacts sent that no message shows any more (the user's own uploads stay). Internal. */
		forgetReceived: {
			auth: 'public',
			visibility: 'public',
			params: P.idsOfParams,
			async handler(ctx: Context<P.IdsOfParams>): Promise<number> {
				return emOf(ctx).nativeDelete(Media, { id: { $in: ctx.params.ids }, user: ctx.params.userId, origin: 'received' });
			},
		},

		/** The image of `userId` for the sender. Internal: no REST route, and the caller names the owner. */
		content: {
			auth: 'public',
			visibility: 'public',
			params: P.contentParams,
			record: { entity: Media, notFound: NOT_FOUND, ownerParam: 'userId', populate: ['bytes'] },
			handler(ctx: Context<P.ContentParams>): P.MediaContent {
				const media = recordOf<Media>(ctx);
				return { contentType: media.contentType, data: media.bytes.toString('base64'), size: media.size };
			},
		},
	},

	methods: {
		async store(ctx, userId, input, originalName, origin = 'upload') {
			const sha256 = createHash('sha256').update(input).digest('hex');
			const em = emOf(ctx);
			const existing = await em.findOne(Media, { user: userId, sha256 });
			if (existing) {
				// The user's own upload of a photo a contact sent stays when the messages showing it are pruned.
				if (origin === 'upload' && existing.origin !== 'upload') {
					existing.origin = 'upload';
					await em.flush();
				}
				return toMediaDto(existing);
			}
			const image = await normaliseImage(input, { maxPixels: this.settings.maxPixels }).catch(err => {
				throw toClientError(err);
			});
			const media = em.create(Media, {
				user: userId,
				contentType: image.contentType,
				bytes: image.data,
				size: image.data.length,
				width: image.width,
				height: image.height,
				sha256,
				originalName,
				origin,
			});
			try {
				await em.flush();
			} catch (err) {
				if (!(err instanceof UniqueConstraintViolationException)) throw err;
				// The same file arrived twice at once: the row the other upload wrote is the answer.
				em.clear();
				return toMediaDto(await em.findOneOrFail(Media, { user: userId, sha256 }));
			}
			ctx.meta.$statusCode = 201;
			return toMediaDto(media);
		},
	},
};

export default MediaService;
