/** The devices service's public contract: parameters of its actions and the shapes it returns. */
import type { DeviceStatus } from './device.entity.ts';

export type { DeviceStatus };

const pacingFields = {
	minDelaySeconds: { type: 'number', integer: true, min: 0, max: 3600, optional: true },
	maxDelaySeconds: { type: 'number', integer: true, min: 0, max: 3600, optional: true },
	hourlyCap: { type: 'number', integer: true, min: 1, max: 10_000, optional: true },
	dailyCap: { type: 'number', integer: true, min: 1, max: 100_000, optional: true },
	warmUp: { type: 'boolean', optional: true },
	quietHours: {
		type: 'object',
		nullable: true,
		optional: true,
		strict: true,
		props: {
			start: { type: 'string', pattern: /^([01]\d|2[0-3]):[0-5]\d$/, messages: { stringPattern: 'Use HH:MM, e.g. 22:00.' } },
			end: { type: 'string', pattern: /^([01]\d|2[0-3]):[0-5]\d$/, messages: { stringPattern: 'Use HH:MM, e.g. 08:00.' } },
		},
	},
} as const;

export interface Pacing {
	minDelaySeconds: number;
	maxDelaySeconds: number;
	hourlyCap: number;
	dailyCap: number;
	warmUp: boolean;
	/** Local times in the tenant's zone between which nothing is sent, or null. */
	quietHours: { start: string; end: string } | null;
}

const nameField = { type: 'string', trim: true, min: 1, max: 100, messages: { stringMin: 'Give the device a name.', stringMax: 'Use at most 100 characters.' } } as const;

export const createParams = {
	$$strict: true,
	name: nameField,
	pacing: { type: 'object', optional: true, strict: true, props: pacingFields },
} as const;
export interface CreateParams {
	name: string;
	pacing?: Partial<Pacing>;
}

export const idParams = {
	$$strict: true,
	id: { type: 'uuid', messages: { uuid: 'No such device.' } },
} as const;
export interface IdParams {
	id: string;
}

export const updateParams = {
	$$strict: true,
	id: idParams.id,
	name: { ...nameField, optional: true },
	pacing: { type: 'object', optional: true, strict: true, props: pacingFields },
} as const;
export interface UpdateParams {
	id: string;
	name?: string;
	pacing?: Partial<Pacing>;
}

export const pairParams = {
	$$strict: true,
	id: idParams.id,
	method: { type: 'enum', values: ['qr', 'code'] },
	/** For `code`: the number to link, with country code; spaces, dashes and a leading + are fine. */
	phone: { type: 'string', optional: true, trim: true, max: 32 },
} as const;
export interface PairParams {
	id: string;
	method: 'qr' | 'code';
	phone?: string;
}

export interface DeviceDto {
	id: string;
	name: string;
	phone: string | null;
	jid: string | null;
	lid: string | null;
	status: DeviceStatus;
	statusReason: string | null;
	lastSeenAt: string | null;
	createdAt: string;
	pacing: Pacing;
}

/** `GET /api/devices/:id`: the device, and the rows a delete would remove, per table. */
export interface DeviceDetailsDto extends DeviceDto {
	/** Node holding the device's socket now, if any. */
	node: string | null;
	deleteRemoves: Record<string, number>;
}

/** `GET /api/devices/:id/qr`: what to show while pairing. */
export interface PairingDto {
	status: DeviceStatus;
	qr: string | null;
	pairingCode: string | null;
}
