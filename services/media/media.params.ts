/** The media service's public contract: parameters of its actions and the shapes it returns. */

export const uploadParams = {
	$$strict: true,
	/** The file, base64: the gateway sends a raw image body this way. */
	data: { type: 'string', min: 1, messages: { stringMin: 'The upload is empty: choose an image.' } },
	/** What the client said the file is; only the bytes decide. */
	contentType: { type: 'string', optional: true, max: 200 },
	/** The file's name on the user's machine, shown in lists. */
	name: { type: 'string', optional: true, trim: true, max: 255 },
} as const;
export interface UploadParams {
	data: string;
	contentType?: string;
	name?: string;
}

export const fromUrlParams = {
	$$strict: true,
	url: { type: 'string', trim: true, min: 1, max: 2048, messages: { stringMin: 'Enter the address of an image.', stringMax: 'This address is too long.' } },
} as const;
export interface FromUrlParams {
	url: string;
}

const idField = { type: 'uuid', messages: { uuid: 'No such image.' } } as const;

export const idParams = { $$strict: true, id: idField } as const;
export interface IdParams {
	id: string;
}

export const storeReceivedParams = { $$strict: true, userId: { type: 'uuid' }, data: { type: 'string', min: 1 } } as const;
export interface StoreReceivedParams {
	userId: string;
	/** The photo, base64. */
	data: string;
}

export const idsOfParams = { $$strict: true, userId: { type: 'uuid' }, ids: { type: 'array', max: 10_000, items: { type: 'uuid' } } } as const;
export interface IdsOfParams {
	userId: string;
	ids: string[];
}

export const contentParams = { $$strict: true, id: idField, userId: { type: 'uuid' } } as const;
export interface ContentParams {
	id: string;
	userId: string;
}

/** A stored image: always a JPEG of at most 350 KB and 1600 px. */
export interface MediaDto {
	id: string;
	contentType: string;
	size: number;
	width: number;
	height: number;
	/** Where its owner can see it: `/api/media/<id>`. */
	url: string;
}

/** `media.content`: the image itself, for the sender. */
export interface MediaContent {
	contentType: string;
	/** The bytes, base64. */
	data: string;
	size: number;
}
