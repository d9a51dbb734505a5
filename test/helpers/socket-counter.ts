import type { DriverHandlers, WhatsAppDriver } from '../../services/devices/whatsapp-driver.ts';

/** Counts the sockets open at once across every host of a test: the number that must never pass one per device. */
export class SocketCounter {
	open = new Map<string, number>();
	driver(deviceId: string): WhatsAppDriver {
		let handlers: DriverHandlers | undefined;
		let connected = false;
		const counter = this;
		return {
			async connect(h) {
				handlers = h;
				connected = true;
				counter.open.set(deviceId, (counter.open.get(deviceId) ?? 0) + 1);
				setTimeout(() => handlers?.open({ phone: '15550001111', jid: '15550001111:2@s.whatsapp.net', lid: null }), 2);
			},
			async requestPairingCode() {
				return 'ABCD1234';
			},
			async logout() {},
			async send() {},
			async markRead() {},
			async typing() {},
			async end() {
				if (!connected) return;
				connected = false;
				counter.open.set(deviceId, counter.open.get(deviceId)! - 1);
				handlers?.close({ kind: 'ended', message: 'Closed by Fleetcast' });
			},
		};
	}
}
