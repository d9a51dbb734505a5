import type { MediaDto } from '$server/media/media.params.ts';
import { http } from './http.ts';

export type { MediaDto };

/** Stores an image file; the server re-encodes it and answers what it kept. */
export const uploadImage = (file: Blob) => http.upload<MediaDto>('/api/media', file);

/** Fetches the image at a public address and stores it the same way. */
export const imageFromUrl = (url: string) => http.post<MediaDto>('/api/media/from-url', { url });

/** Where the owner's browser shows a stored image. */
export const mediaUrl = (id: string) => `/api/media/${encodeURIComponent(id)}`;
