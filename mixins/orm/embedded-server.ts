import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const TERMINATE = 'X'.charCodeAt(0);
/** Asks for what is pending without ending the query (pg reads a portal page by page this way). */
const FLUSH = 'H'.charCodeAt(0);
/**
 * Frontend messages after which the backend says ReadyForQuery: Sync, a simple Query, a function
 * call, the end of a COPY. Everything a connection sends up to one of these, or up to a Flush, is
 * one unit.
 */
const ENDS_A_UNIT = new Set(['S', 'Q', 'F', 'c', 'f', 'H'].map(c => c.charCodeAt(0)));

/** One client connection: its bytes not yet read as messages, and the unit being gathered. */
class Connection {
	private buffer: Buffer = Buffer.alloc(0);
	private unit: Buffer[] = [];
	private startedUp = false;
	closed = false;

	constructor(
		readonly socket: net.Socket,
		private readonly onUnit: (connection: Connection, unit: Uint8Array, flushed: boolean) => void,
	) {}

	/** Reads what arrived; whole units go to the queue in the order they were sent. A malformed message ends the connection. */
	receive(data: Buffer): void {
		this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
		for (;;) {
			if (!this.startedUp) {
				// Startup-phase messages have no type byte: a length, then a code.
				if (this.buffer.length < 8) return;
				const length = this.buffer.readInt32BE(0);
				if (length < 8) return void this.socket.destroy();
				if (this.buffer.length < length) return;
				const code = this.buffer.readInt32BE(4);
				const message = this.buffer.subarray(0, length);
				this.buffer = this.buffer.subarray(length);
				if (code === SSL_REQUEST) this.socket.write('N');
				else if (code === CANCEL_REQUEST) this.socket.end();
				else {
					this.startedUp = true;
					this.onUnit(this, new Uint8Array(message), false);
				}
				continue;
			}
			if (this.buffer.length < 5) return;
			const length = 1 + this.buffer.readInt32BE(1);
			if (length < 5) return void this.socket.destroy();
			if (this.buffer.length < length) return;
			const type = this.buffer[0];
			const message = this.buffer.subarray(0, length);
			this.buffer = this.buffer.subarray(length);
			if (type === TERMINATE) {
				this.socket.end();
				return;
			}
			this.unit.push(message);
			if (ENDS_A_UNIT.has(type)) {
				this.onUnit(this, new Uint8Array(Buffer.concat(this.unit)), type === FLUSH);
				this.unit = [];
			}
		}
	}
}

/** `Query "ROLLBACK"`: ends the transaction a connection left open, through the same path as every unit. */
const ROLLBACK = (() => {
	const sql = Buffer.from('ROLLBACK\0');
	const message = Buffer.alloc(5 + sql.length);
	message.write('Q', 0);
	message.writeInt32BE(4 + sql.length, 1);
	sql.copy(message, 5);
	return new Uint8Array(message);
})();

/**
 * Embedded PGlite served to `pg` clients on a Unix socket. PGlite is one backend session, so the
 * connections share it: each unit of messages (a whole extended-protocol query, up to its Sync)
 * runs at once, never with another connection's messages in between, and while one connection
 * is inside a transaction only its units run. A connection that goes away mid-transaction, or
 * keeps the others waiting while it sends nothing for `idleInTransactionMs`, has its transaction
 * rolled back.
 */
export class EmbeddedPostgresServer {
	private server?: net.Server;
	private readonly connections = new Set<Connection>();
	/**
	 * Units in arrival order; `flushed`: the query goes on (no Sync yet), so its connection keeps
	 * the session. `rollback` ends the transaction a closed connection left open.
	 */
	private readonly queue: ({ connection: Connection; unit: Uint8Array; flushed: boolean } | { connection: Connection; rollback: true })[] = [];
	private draining = false;
	/** The connection whose transaction (or paged query) is open: only its units run until it ends it. */
	private owner?: Connection;
	private idleOwner?: NodeJS.Timeout;
	private stopped = false;

	constructor(
		private readonly db: PGlite,
		private readonly socketPath: string,
		private readonly options: { idleInTransactionMs: number; onError(err: Error): void } = { idleInTransactionMs: 60_000, onError: () => undefined },
	) {}

	start(): Promise<void> {
		this.server = net.createServer(socket => {
			const connection = new Connection(socket, (from, unit, flushed) => {
				this.queue.push({ connection: from, unit, flushed });
				this.drainNow();
			});
			this.connections.add(connection);
			socket.setNoDelay(true);
			socket.on('data', data => connection.receive(data));
			socket.on('error', () => socket.destroy());
			socket.on('close', () => this.forget(connection));
		});
		return new Promise((resolve, reject) => {
			this.server!.once('error', reject);
			this.server!.listen(this.socketPath, () => resolve());
		});
	}

	async stop(): Promise<void> {
		this.stopped = true;
		clearTimeout(this.idleOwner);
		for (const connection of this.connections) connection.socket.destroy();
		await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
		this.server = undefined;
	}

	private drainNow(): void {
		this.drain().catch(err => this.options.onError(err as Error));
	}

	private async drain(): Promise<void> {
		if (this.draining || this.stopped) return;
		this.draining = true;
		try {
			for (;;) {
				const next = this.owner ? this.queue.findIndex(item => item.connection === this.owner) : 0;
				if (next < 0 || this.queue.length === 0 || this.stopped) break;
				clearTimeout(this.idleOwner);
				const [item] = this.queue.splice(next, 1);
				const { connection } = item;
				if ('rollback' in item) {
					if (this.db.isInTransaction()) await this.run(ROLLBACK, () => undefined);
					// A rollback that did not take leaves the session as it is: nobody may run inside it.
					if (this.db.isInTransaction()) throw new Error('The embedded database could not roll back a transaction left open.');
					this.owner = undefined;
					continue;
				}
				if (connection.closed) continue;
				try {
					// A copy: PGlite hands out a view of its memory, which it reuses before a slow socket has sent it.
					await this.run(item.unit, data => void (connection.closed || connection.socket.write(Buffer.from(data))));
				} catch {
					// PGlite itself failed on this unit: that connection cannot go on; the others can.
					connection.socket.destroy();
				}
				if (!this.db.isInTransaction() && !item.flushed) this.owner = undefined;
				else if (connection.closed) this.queue.unshift({ connection, rollback: true });
				else this.owner = connection;
			}
		} finally {
			this.draining = false;
		}
		this.watchIdleOwner();
	}

	private run(unit: Uint8Array, onRawData: (data: Uint8Array) => void): Promise<void> {
		return this.db.runExclusive(() => this.db.execProtocolRawStream(unit, { onRawData }));
	}

	/** Others wait on a transaction whose connection sends nothing: after a while it is ended, as PostgreSQL's idle-in-transaction timeout would. */
	private watchIdleOwner(): void {
		clearTimeout(this.idleOwner);
		const owner = this.owner;
		if (!owner || this.queue.length === 0 || this.stopped) return;
		this.idleOwner = setTimeout(() => {
			if (this.owner !== owner || this.queue.some(item => item.connection === owner)) return;
			this.options.onError(new Error(`A connection to the embedded database kept a transaction open for ${this.options.idleInTransactionMs} ms while others waited: it was closed.`));
			owner.socket.destroy();
		}, this.options.idleInTransactionMs);
		this.idleOwner.unref();
	}

	/** A connection went away: what it queued is dropped, and a transaction it left open is rolled back. */
	private forget(connection: Connection): void {
		connection.closed = true;
		this.connections.delete(connection);
		for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].connection === connection) this.queue.splice(i, 1);
		// Its open transaction ends before anything else runs (a unit of it still running ends it in drain).
		if (this.owner === connection) this.queue.unshift({ connection, rollback: true });
		this.drainNow();
	}
}
