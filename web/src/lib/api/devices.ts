import type { DeviceDetailsDto, DeviceDto, DeviceStatus, Pacing, PairingDto } from '$server/devices/devices.params.ts';
import { http } from './http.ts';

// The devices service's own contract, so the page and the server cannot drift apart.
export type { DeviceDetailsDto, DeviceDto, DeviceStatus, Pacing, PairingDto };

export type PairRequest = { method: 'qr' } | { method: 'code'; phone: string };

const devicePath = (id: string) => `/api/devices/${encodeURIComponent(id)}`;

export const listDevices = () => http.get<DeviceDto[]>('/api/devices');

export const createDevice = (name: string) => http.post<DeviceDto>('/api/devices', { name });

export const fetchDevice = (id: string) => http.get<DeviceDetailsDto>(devicePath(id));

export const updateDevice = (id: string, changes: { name?: string; pacing?: Partial<Pacing> }) =>
	http.patch<DeviceDto>(devicePath(id), changes);

export const deleteDevice = (id: string) => http.delete(devicePath(id));

export const pairDevice = (id: string, request: PairRequest) => http.post<PairingDto>(`${devicePath(id)}/pair`, request);

export const fetchPairing = (id: string) => http.get<PairingDto>(`${devicePath(id)}/qr`);

export const reconnectDevice = (id: string) => http.post<DeviceDto>(`${devicePath(id)}/reconnect`);

export const logOutDevice = (id: string) => http.post<DeviceDto>(`${devicePath(id)}/logout`);
