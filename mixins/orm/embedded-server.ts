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

	/** Reads what arrived; whole units go to the queue in the order they were sent. */
	receive(data: Buffer): void {
		this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
		for (;;) {
			if (!this.startedUp) {
				// Startup-phase messages have no type byte: a length, then a code.
				if (this.buffer.length < 8) return;
				const length = this.buffer.readInt32BE(0);
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

/**
 * Embedded PGlite served to `pg` clients on a Unix socket. PGlite is one backend session, so the
 * connections share it: each unit of messages (a whole extended-protocol query, up to its Sync)
 * runs at once, never with another connection's messages in between, and while one connection
 * is inside a transaction only its units run. A connection that goes away mid-transaction has it
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

	constructor(
		private readonly db: PGlite,
		private readonly socketPath: string,
	) {}

	start(): Promise<void> {
		this.server = net.createServer(socket => {
			const connection = new Connection(socket, (from, unit, flushed) => {
				this.queue.push({ connection: from, unit, flushed });
				void this.drain();
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
		for (const connection of this.connections) connection.socket.destroy();
		await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
		this.server = undefined;
	}

	private async drain(): Promise<void> {
		if (this.draining) return;
		this.draining = true;
		try {
			for (;;) {
				const next = this.owner ? this.queue.findIndex(item => item.connection === this.owner) : 0;
				if (next < 0 || this.queue.length === 0) return;
				const [item] = this.queue.splice(next, 1);
				const { connection } = item;
				if ('rollback' in item) {
					// exec takes PGlite's own lock: not inside runExclusive.
					if (this.db.isInTransaction()) await this.db.exec('rollback').catch(() => undefined);
					this.owner = undefined;
					continue;
				}
				if (connection.closed) continue;
				const { unit } = item;
				try {
					// A copy: PGlite hands out a view of its memory, which it reuses before a slow socket has sent it.
					await this.db.runExclusive(() =>
						this.db.execProtocolRawStream(unit, { onRawData: data => void (connection.closed || connection.socket.write(Buffer.from(data))) }),
					);
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
	}

	/** A connection went away: what it queued is dropped, and a transaction it left open is rolled back. */
	private forget(connection: Connection): void {
		connection.closed = true;
		this.connections.delete(connection);
		for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].connection === connection) this.queue.splice(i, 1);
		// Its open transaction ends before anything else runs (a unit of it still running ends it in drain).
		if (this.owner === connection) this.queue.unshift({ connection, rollback: true });
		void this.drain();
	}
}
