/** Facts the devices service broadcasts. Each carries `userId`: it is delivered to that user only. */
import { browserEventNames } from '../shared/browser-events.ts';
import type { DeviceDto, DeviceStatus } from './devices.params.ts';

/** A device was created, renamed, re-paced, linked or changed status: the whole new record. */
export const DEVICE_UPDATED = 'device.updated';
export interface DeviceUpdated {
	userId: string;
	device: DeviceDto;
}

export const DEVICE_DELETED = 'device.deleted';
export interface DeviceDeleted {
	userId: string;
	deviceId: string;
}

export const DEVICE_STATUS_CHANGED = 'device.status-changed';
export interface DeviceStatusChanged {
	userId: string;
	deviceId: string;
	status: DeviceStatus;
	previous: DeviceStatus;
	reason: string | null;
}

/** A new QR to show while pairing (every ~20 s); `qr: null` when pairing ended. */
export const DEVICE_QR = 'device.qr';
export interface DeviceQr {
	userId: string;
	deviceId: string;
	qr: string | null;
}

export const DEVICE_PAIRING_CODE = 'device.pairing-code';
export interface DevicePairingCode {
	userId: string;
	deviceId: string;
	code: string;
}

/** The phone linked the device: its number and JIDs are known from now on. */
export const DEVICE_LINKED = 'device.linked';
export interface DeviceLinked {
	userId: string;
	deviceId: string;
	phone: string;
	jid: string;
	lid: string | null;
}

/** The devices events the owner's browser tabs receive, with their payloads. */
export interface DeviceBrowserEvents {
	[DEVICE_UPDATED]: DeviceUpdated;
	[DEVICE_DELETED]: DeviceDeleted;
	[DEVICE_STATUS_CHANGED]: DeviceStatusChanged;
	[DEVICE_QR]: DeviceQr;
	[DEVICE_PAIRING_CODE]: DevicePairingCode;
	[DEVICE_LINKED]: DeviceLinked;
}
export const DEVICE_BROWSER_EVENTS = browserEventNames<DeviceBrowserEvents>({
	[DEVICE_UPDATED]: true,
	[DEVICE_DELETED]: true,
	[DEVICE_STATUS_CHANGED]: true,
	[DEVICE_QR]: true,
	[DEVICE_PAIRING_CODE]: true,
	[DEVICE_LINKED]: true,
});
