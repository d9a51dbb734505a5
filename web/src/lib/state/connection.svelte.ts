import { closeLiveSocket, onConnectionState, openLiveSocket, type ConnectionState } from '../api/ws.ts';

const labels: Record<ConnectionState, string> = {
	live: 'Live',
	connecting: 'Connecting…',
	offline: 'Offline',
};

class Connection {
	state = $state<ConnectionState>('offline');
	label = $derived(labels[this.state]);

	open(): void {
		openLiveSocket();
	}

	close(): void {
		closeLiveSocket();
	}
}

export const connection = new Connection();

onConnectionState((state) => {
	connection.state = state;
});
