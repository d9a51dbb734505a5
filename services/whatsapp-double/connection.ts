import { decodeBinaryNode, encodeBinaryNode, type BinaryNode, type proto } from '@whiskeysockets/baileys';
import type { WebSocket } from 'ws';
import type { AccountRecord, Companion } from './accounts.ts';
import { pnJid } from './accounts.ts';
import type { KeyPair } from './keys.ts';
import { encodeFrame, FrameReader, NoiseResponder } from './noise.ts';

export interface ConnectionHandlers {
	onLogin(connection: Connection, payload: proto.ClientPayload): Promise<void> | void;
	onNode(connection: Connection, node: BinaryNode): Promise<void> | void;
	onClose(connection: Connection): void;
	onError(connection: Connection, error: unknown): void;
}

/** A registering client's keys from its ClientPayload, kept until the phone links it. */
export interface Registration {
	registrationId: number;
	identityKey: Buffer;
	signedPreKey: { keyId: number; public: Buffer; signature: Buffer };
	platform: string;
	/** QR refs handed out on this socket, with when each stops being accepted. */
	refs: Map<string, number>;
	/** Set once the client asked for a pairing code (`companion_hello`). */
	linkCode?: {
		phone: string;
		ref: string;
		wrappedEphemeral: Buffer;
		/** Set once the phone entered a code: what to do with the companion's key bundle, or if it leaves. */
		finish?: (bundle: Buffer) => Promise<void>;
		abort?: (error: Error) => void;
	};
	/** The pair-success iq sent, awaiting the client's pair-device-sign. */
	pending?: { iqId: string; account: AccountRecord; companion: Companion; method: 'qr' | 'code'; settle(error?: Error): void };
}

/**
 * One client WebSocket: intro, Noise handshake, then encrypted binary nodes in both directions,
 * processed one at a time in arrival order.
 */
export class Connection {
	private static nextId = 1;
	readonly id = Connection.nextId++;
	readonly noise: NoiseResponder;
	clientStatic: Buffer | undefined;
	registration: Registration | undefined;
	account: AccountRecord | undefined;
	companion: Companion | undefined;
	/** Set while the account is silenced: nothing is answered or sent. */
	silenced = false;
	/**
	 * Receipts sent to this companion and not acked yet, by `receipt:<id>:<from>`. As WhatsApp does,
	 * what a companion never acked is delivered again at its next login.
	 */
	readonly unacked = new Map<string, BinaryNode>();
	private closed = false;
	private answeredHello = false;
	private queue: Promise<void> = Promise.resolve();
	private readonly reader: FrameReader;

	constructor(
		readonly ws: WebSocket,
		serverStatic: KeyPair,
		certChain: Uint8Array,
		private readonly handlers: ConnectionHandlers,
	) {
		this.noise = new NoiseResponder(serverStatic, certChain);
		this.reader = new FrameReader(
			intro => this.noise.authenticateIntro(intro),
			frame => this.enqueue(() => this.onFrame(frame)),
		);
		ws.on('message', (data: Buffer) => {
			try {
				this.reader.push(Buffer.from(data));
			} catch (error) {
				this.handlers.onError(this, error);
				this.terminate();
			}
		});
		ws.on('close', () => {
			this.closed = true;
			this.handlers.onClose(this);
		});
		ws.on('error', () => this.terminate());
	}

	get isOpen(): boolean {
		return !this.closed && this.ws.readyState === this.ws.OPEN;
	}

	/** The companion's device JID once logged in (`<phone>:<device>@s.whatsapp.net`). */
	get deviceJid(): string | undefined {
		return this.account && this.companion ? pnJid(this.account.phone, this.companion.deviceId) : undefined;
	}

	send(node: BinaryNode): void {
		if (!this.isOpen || !this.noise.ready || this.silenced) return;
		this.ws.send(encodeFrame(this.noise.encrypt(encodeBinaryNode(node))));
	}

	/** `<stream:error>` then close: 515 restart, 401 device removed, 440 conflict, … */
	streamError(attrs: Record<string, string>, child?: BinaryNode): void {
		this.send({ tag: 'stream:error', attrs, content: child ? [child] : undefined });
		this.close();
	}

	/** `<failure reason=…/>` then close: the answer to a login the server refuses. */
	fail(reason: number): void {
		this.send({ tag: 'failure', attrs: { reason: String(reason), location: 'double' } });
		this.close();
	}

	close(): void {
		if (this.closed) return;
		this.closed = true;
		this.ws.close();
	}

	/** Drop the TCP connection without a goodbye, as a network failure would. */
	terminate(): void {
		this.closed = true;
		this.ws.terminate();
	}

	private enqueue(task: () => Promise<void>): void {
		this.queue = this.queue.then(task).catch(error => {
			this.handlers.onError(this, error);
			this.terminate();
		});
	}

	private async onFrame(frame: Buffer): Promise<void> {
		if (this.closed) return;
		if (this.noise.ready) {
			const node = await decodeBinaryNode(this.noise.decrypt(frame));
			await this.handlers.onNode(this, node);
		} else if (!this.answeredHello) {
			this.ws.send(encodeFrame(this.noise.answerClientHello(frame)));
			this.answeredHello = true;
		} else {
			const { clientStatic, payload } = this.noise.readClientFinish(frame);
			this.clientStatic = clientStatic;
			await this.handlers.onLogin(this, payload);
		}
	}
}
