import type { DemoContactDto, DemoContactMessageDto, DemoFault } from '$server/demo/demo.params.ts';
import { ApiError, http } from './http.ts';

export type { DemoContactDto, DemoContactMessageDto, DemoFault };

/** Whether this server runs in demo mode (it answers 404 to /api/demo otherwise). */
export async function fetchDemoMode(): Promise<boolean> {
	try {
		await http.get<{ demo: true }>('/api/demo');
		return true;
	} catch (error) {
		if (error instanceof ApiError && error.status === 404) return false;
		throw error;
	}
}

/** A demo phone scans the device's current QR; the device's progress then arrives as events. */
export const linkDemoPhone = (deviceId: string) => http.post<void>(`/api/demo/devices/${encodeURIComponent(deviceId)}/link`);

export const listDemoContacts = () => http.get<DemoContactDto[]>('/api/demo/contacts');

/** What the contact received from the signed-in user's numbers. */
export const listDemoContactMessages = (phone: string) =>
	http.get<DemoContactMessageDto[]>(`/api/demo/contacts/${encodeURIComponent(phone)}/messages`);

/** The demo contact writes `text` to one of the signed-in user's numbers, as from their phone. */
export const sendAsDemoContact = (phone: string, deviceId: string, text: string) =>
	http.post<{ id: string }>(`/api/demo/contacts/${encodeURIComponent(phone)}/send`, { deviceId, text });

/** What WhatsApp does to one of the user's numbers from now on, at the demo's double. */
export const setDemoFault = (deviceId: string, fault: DemoFault) => http.post<{ fault: DemoFault }>(`/api/demo/devices/${encodeURIComponent(deviceId)}/fault`, { fault });
