import {
	createDevice,
	deleteDevice,
	fetchPairing,
	listDevices,
	logOutDevice,
	pairDevice,
	reconnectDevice,
	updateDevice,
	type DeviceDto,
	type Pacing,
	type PairingDto,
	type PairRequest,
} from '../api/devices.ts';
import { onReconnect, subscribe } from '../api/ws.ts';

/** What to show while a device pairs: the latest QR, or the code to type on the phone. */
export interface Pairing {
	qr: string | null;
	code: string | null;
}

/** The signed-in user's devices, kept live while a page that shows them (Devices, Leads) is open. */
class Devices {
	list = $state<DeviceDto[]>([]);
	loading = $state(false);
	loaded = $state(false);
	loadError = $state<unknown>(null);
	pairing = $state<Record<string, Pairing>>({});
	/** Pages following the list: one page closing while the next opens must not empty it. */
	#followers = 0;
	#names = $derived(new Map(this.list.map((device) => [device.id, device.name])));

	get open(): boolean {
		return this.#followers > 0;
	}

	/** Starts following the list; the last `stop` forgets it, so another user never sees it. */
	async start(): Promise<void> {
		this.#followers += 1;
		await this.load();
	}

	stop(): void {
		this.#followers = Math.max(0, this.#followers - 1);
		if (this.open) return;
		this.list = [];
		this.pairing = {};
		this.loaded = false;
		this.loadError = null;
	}

	async load(): Promise<void> {
		this.loading = true;
		this.loadError = null;
		try {
			const list = await listDevices();
			if (!this.open) return;
			this.list = list;
			this.loaded = true;
		} catch (error) {
			this.loadError = error;
		} finally {
			this.loading = false;
		}
	}

	find(id: string): DeviceDto | undefined {
		return this.list.find((device) => device.id === id);
	}

	/** The name to show for the device of a lead or a message; once the list is read, a device not in it was deleted. */
	nameOf(id: string): string {
		return this.#names.get(id) ?? (this.loaded ? 'Deleted device' : '…');
	}

	async add(name: string): Promise<void> {
		this.put(await createDevice(name));
	}

	async rename(id: string, name: string): Promise<void> {
		this.put(await updateDevice(id, { name }));
	}

	async setPacing(id: string, pacing: Partial<Pacing>): Promise<void> {
		this.put(await updateDevice(id, { pacing }));
	}

	async remove(id: string): Promise<void> {
		await deleteDevice(id);
		this.drop(id);
	}

	async reconnect(id: string): Promise<void> {
		this.put(await reconnectDevice(id));
	}

	async logOut(id: string): Promise<void> {
		this.put(await logOutDevice(id));
	}

	async pair(id: string, request: PairRequest): Promise<void> {
		const pairing = await pairDevice(id, request);
		this.showPairing(id, pairing);
		// The status event may still be on its way; never move a device back from a later step.
		const device = this.find(id);
		if (device && device.status !== 'connecting' && device.status !== 'online') device.status = pairing.status;
	}

	/** Re-reads what a device already pairing shows (after a reload or a lost connection). */
	async refreshPairing(id: string): Promise<void> {
		this.showPairing(id, await fetchPairing(id));
	}

	showPairing(id: string, { qr, pairingCode }: Pick<PairingDto, 'qr' | 'pairingCode'>): void {
		if (this.open) this.pairing[id] = { qr, code: pairingCode };
	}

	/** Adds or replaces a device; ignored while the page is closed. */
	put(device: DeviceDto): void {
		if (!this.open) return;
		const index = this.list.findIndex((kept) => kept.id === device.id);
		if (index === -1) this.list.push(device);
		else this.list[index] = device;
	}

	patch(id: string, changes: Partial<DeviceDto>): void {
		const device = this.find(id);
		if (device) Object.assign(device, changes);
	}

	drop(id: string): void {
		this.list = this.list.filter((device) => device.id !== id);
		delete this.pairing[id];
	}
}

export const devices = new Devices();

subscribe('device.updated', ({ device }) => devices.put(device));
subscribe('device.deleted', ({ deviceId }) => devices.drop(deviceId));
subscribe('device.status-changed', ({ deviceId, status, reason }) => {
	devices.patch(deviceId, { status, statusReason: reason });
	if (status !== 'pairing') delete devices.pairing[deviceId];
});
subscribe('device.qr', ({ deviceId, qr }) => {
	devices.showPairing(deviceId, { qr, pairingCode: devices.pairing[deviceId]?.code ?? null });
});
subscribe('device.pairing-code', ({ deviceId, code }) => {
	devices.showPairing(deviceId, { qr: devices.pairing[deviceId]?.qr ?? null, pairingCode: code });
});
subscribe('device.linked', ({ deviceId, phone, jid, lid }) => devices.patch(deviceId, { phone, jid, lid }));

onReconnect(() => {
	if (!devices.open) return;
	// Events sent while we were away are lost: re-read the list and any QR or code being shown.
	void devices.load().then(() => {
		for (const id of Object.keys(devices.pairing)) {
			devices.refreshPairing(id).catch((error: unknown) => console.error('Could not resynchronise pairing', error));
		}
	});
});
