import { AuthStateStore, clearAuthState, type Fence } from './auth-state.ts';
import { LocalConnectLimiter, type ConnectLimiter } from './connect-limiter.ts';
import { DeviceActor, type ActorOptions, type StartMode } from './device.actor.ts';
import type { DeviceStatus } from './device.entity.ts';
import type { SqlConnection } from '../../mixins/orm/database.ts';
import { Leases, preferredNode } from './leases.ts';
import type { ChatMessageSeen, LinkedAccount, Receipt, WhatsAppDriver } from './whatsapp-driver.ts';

export interface PlacementOptions {
	nodeId: string;
	/** A lease not renewed for this long expires and another node may take the device. */
	leaseTtlMs: number;
	/** Renewal and placement run this often (a third of the TTL by default). */
	tickMs: number;
	/** Devices handed over to a node that joined, per tick. */
	handoverWave: number;
	/** Spread of the first connect of devices picked up by placement (start, takeover). */
	startJitterMs: number;
	actor: ActorOptions;
}

/** What the host reports to its service, which persists nothing itself but publishes. */
export interface HostEvents {
	/** `linked`: the account (phone, JID) was recorded for the first time or changed. */
	statusChanged(deviceId: string, previous: DeviceStatus, status: DeviceStatus, reason: string | null, linked: boolean): Promise<void>;
	qr(deviceId: string, qr: string | null): void;
	pairingCode(deviceId: string, code: string): void;
	receipts(deviceId: string, receipts: Receipt[]): void;
	messages(deviceId: string, messages: ChatMessageSeen[]): void;
	readElsewhere(deviceId: string, ids: string[]): void;
	/** Devices this node let go of, so the nodes that prefer them look now rather than at their next tick. */
	released(deviceIds: string[], leaving: boolean): void;
}

export interface HostDeps {
	db: SqlConnection;
	/** Lease renewal's own connection: a pool busy with device start-ups must not make leases expire. */
	renewals?: SqlConnection;
	limiter: ConnectLimiter;
	createDriver(store: AuthStateStore): WhatsAppDriver;
	/** Nodes that run the devices service now, this one included. */
	liveNodes(): string[];
	events: HostEvents;
	/** Before a device's lease is released: its send in progress ends and is recorded. */
	quiesce?(deviceId: string): Promise<void>;
	logger: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
}

export class DeviceBusyError extends Error {
	constructor(
		readonly deviceId: string,
		readonly holder?: string,
	) {
		super(holder ? `Device ${deviceId} is held by node ${holder}` : `Device ${deviceId} is held by another node`);
	}
}

export type Command =
	| { kind: 'pair'; method: 'qr' }
	| { kind: 'pair'; method: 'code'; phone: string }
	| { kind: 'reconnect' }
	| { kind: 'logout' }
	/** Close the socket and leave the device in `status` (it then has no holder). */
	| { kind: 'stop'; status: 'new' | 'offline'; reason: string };

export interface Pairing {
	qr: string | null;
	pairingCode: string | null;
}

const COMMAND_TIMEOUT_MS = 25_000;

/** Device starts placement runs at once. */
const STARTS_AT_ONCE = 50;

/**
 * The device actors of one node, and two loops. Renewal extends this node's leases, stops any
 * actor whose lease was lost and releases leases it holds without an actor; a watchdog closes
 * every socket when renewal has not succeeded for nearly a TTL, before another node may take
 * over. Placement takes the unheld devices this node is the rendezvous choice for and hands over,
 * a wave at a time, the ones a newly joined node prefers. Everything that starts or stops a
 * device's actor runs under that device's lock, so a user command and placement never race.
 */
export class DeviceHost {
	readonly leases: Leases;
	private readonly actors = new Map<string, DeviceActor>();
	/** When each actor was created, in renewal rounds: a renewal older than the actor says nothing about it. */
	private readonly born = new WeakMap<DeviceActor, number>();
	private readonly locks = new Map<string, Promise<unknown>>();
	private readonly starts = new LocalConnectLimiter(STARTS_AT_ONCE);
	/** Nodes that said they are stopping: not candidates even while the registry still lists them. */
	private readonly leaving = new Map<string, number>();
	private timers: NodeJS.Timeout[] = [];
	private ticking?: Promise<void>;
	private tickAgain = false;
	private renewing?: Promise<void>;
	private round = 0;
	private lastRenewAt = Date.now();
	private stopping = false;

	constructor(
		private readonly deps: HostDeps,
		private readonly options: PlacementOptions,
	) {
		this.leases = new Leases(deps.db, options.nodeId, options.leaseTtlMs, deps.renewals);
	}

	get nodeId(): string {
		return this.options.nodeId;
	}

	/** Devices whose actor runs here now. */
	heldDevices(): string[] {
		return [...this.actors.keys()];
	}

	/** The actors running here now. */
	heldActors(): IterableIterator<DeviceActor> {
		return this.actors.values();
	}

	actor(deviceId: string): DeviceActor | undefined {
		return this.actors.get(deviceId);
	}

	start(): void {
		const { tickMs } = this.options;
		this.timers = [
			setInterval(() => void this.renew(), tickMs),
			setInterval(() => void this.tick(), tickMs),
			setInterval(() => this.watchdog(), Math.min(1_000, tickMs)),
		];
		void this.renew().then(() => this.tick());
	}

	/** Graceful stop: close every socket, then release the leases so other nodes take over at once. */
	async stop(): Promise<void> {
		this.stopping = true;
		for (const timer of this.timers) clearInterval(timer);
		await Promise.all([this.ticking, this.renewing]);
		const held = [...this.actors.values()];
		await this.leases.leave().catch(() => undefined);
		await Promise.all(held.map(actor => this.withDevice(actor.deviceId, () => this.handOff(actor, 'Fleetcast node stopping; the device reconnects on the next node')).catch(() => undefined)));
		if (held.length) this.deps.events.released(held.map(a => a.deviceId), true);
	}

	nodeLeaving(nodeId: string): void {
		if (nodeId !== this.nodeId) this.leaving.set(nodeId, Date.now() + 60_000);
	}

	/** Runs placement now (or right after the run in progress). */
	tick(): Promise<void> {
		if (this.stopping) return Promise.resolve();
		if (this.ticking) {
			this.tickAgain = true;
			return this.ticking;
		}
		this.ticking = (async () => {
			do {
				this.tickAgain = false;
				try {
					await this.place();
				} catch (err) {
					this.deps.logger.warn(`Device placement failed: ${(err as Error).message}`);
				}
			} while (this.tickAgain && !this.stopping);
		})().finally(() => (this.ticking = undefined));
		return this.ticking;
	}

	/** Nodes a device may be placed on now. */
	async candidates(): Promise<string[]> {
		const now = Date.now();
		for (const [node, until] of this.leaving) if (until < now) this.leaving.delete(node);
		const alive = await this.leases.aliveNodes();
		const nodes = new Set(this.deps.liveNodes().filter(n => alive.has(n) && !this.leaving.has(n)));
		nodes.add(this.nodeId);
		return [...nodes].sort();
	}

	/** Runs `task` for one device after every earlier task for it finished. */
	private withDevice<T>(deviceId: string, task: () => Promise<T>): Promise<T> {
		const previous = this.locks.get(deviceId) ?? Promise.resolve();
		const run = previous.catch(() => undefined).then(task);
		const settled = run.catch(() => undefined);
		this.locks.set(deviceId, settled);
		void settled.then(() => {
			if (this.locks.get(deviceId) === settled) this.locks.delete(deviceId);
		});
		return run;
	}

	private renew(): Promise<void> {
		if (this.stopping || this.renewing) return this.renewing ?? Promise.resolve();
		this.renewing = (async () => {
			const round = ++this.round;
			const began = Date.now();
			try {
				const held = await withTimeout(this.leases.renew(), this.options.tickMs, 'lease renewal');
				this.lastRenewAt = began;
				await this.leases.heartbeat();
				for (const actor of [...this.actors.values()]) {
					if ((this.born.get(actor) ?? 0) >= round || held.get(actor.deviceId) === actor.epoch) continue;
					void this.withDevice(actor.deviceId, async () => {
						if (this.actors.get(actor.deviceId) !== actor) return;
						this.deps.logger.warn(`Lease on device ${actor.deviceId} was lost; closing its socket.`);
						this.actors.delete(actor.deviceId);
						await actor.stop();
					});
				}
				// A lease of this node without an actor (a restart under the same NODE_ID, an actor that
				// ended): give it up, and placement starts over from the database.
				for (const [deviceId, epoch] of held) {
					if (this.actors.has(deviceId)) continue;
					void this.withDevice(deviceId, async () => {
						if (!this.actors.has(deviceId)) await this.leases.release(deviceId, epoch);
					}).catch(() => undefined);
				}
			} catch (err) {
				this.deps.logger.warn(`Renewing device leases failed: ${(err as Error).message}`);
			}
		})().finally(() => (this.renewing = undefined));
		return this.renewing;
	}

	/** Sockets must close before the leases can expire, or a node taking over would open a second one. */
	private watchdog(): void {
		if (this.actors.size === 0 || Date.now() - this.lastRenewAt < this.options.leaseTtlMs - this.options.tickMs) return;
		this.deps.logger.error(`Device leases not renewed for ${Date.now() - this.lastRenewAt} ms; closing ${this.actors.size} sockets before they expire.`);
		for (const actor of [...this.actors.values()]) {
			this.actors.delete(actor.deviceId);
			void actor.stop();
		}
	}

	private async place(): Promise<void> {
		const nodes = await this.candidates();
		const unheld = await this.leases.unheld(this.options.leaseTtlMs);
		const mine = unheld.filter(d => !this.actors.has(d.deviceId) && (d.abandoned || preferredNode(d.deviceId, nodes) === this.nodeId));
		if (mine.length && !this.stopping) {
			const granted = await this.leases.acquire(mine.map(d => d.deviceId), { expiredOnly: true });
			await Promise.all(
				mine.map(device => {
					const epoch = granted.get(device.deviceId);
					if (epoch === undefined) return undefined;
					// Queued under the device's lock at once, so renewal never mistakes a lease waiting for its start for an orphan.
					return this.withDevice(device.deviceId, async () => {
						if (this.stopping || this.actors.has(device.deviceId)) return this.leases.release(device.deviceId, epoch);
						// A device caught mid-pairing (its node died) shows a new QR; the others resume their session.
						const mode: StartMode = device.status === 'pairing' ? { kind: 'pair', method: 'qr' } : { kind: 'resume', jitterMs: this.options.startJitterMs };
						// Each start writes and announces a status: a few at a time, so thousands do not fill the pool at once.
						await this.starts.acquire(device.deviceId);
						try {
							// The node may have begun to stop while this start waited its turn.
							if (this.stopping) return this.leases.release(device.deviceId, epoch);
							await this.startActor(device.deviceId, epoch, mode, device.status);
						} finally {
							await this.starts.release(device.deviceId);
						}
					}).catch(err => this.deps.logger.warn(`Starting device ${device.deviceId}: ${(err as Error).message}`));
				}),
			);
		}
		await this.handOver(nodes);
	}

	private async handOver(nodes: string[]): Promise<void> {
		// A device being paired stays: moving it would throw away the QR the user is about to scan.
		const moving = [...this.actors.values()]
			.filter(a => a.running && a.status !== 'pairing' && preferredNode(a.deviceId, nodes) !== this.nodeId)
			.slice(0, this.options.handoverWave);
		if (moving.length === 0 || this.stopping) return;
		await Promise.all(moving.map(actor => this.withDevice(actor.deviceId, () => this.handOff(actor, 'Moving to another node'))));
		this.deps.logger.info(`Handed over ${moving.length} devices to their preferred nodes.`);
		this.deps.events.released(moving.map(a => a.deviceId), false);
	}

	/** Closes the socket, says the device is between nodes, and releases the lease. */
	private async handOff(actor: DeviceActor, reason: string): Promise<void> {
		if (this.actors.get(actor.deviceId) === actor) this.actors.delete(actor.deviceId);
		await actor.stop();
		await this.deps.quiesce?.(actor.deviceId).catch(err => this.deps.logger.warn(`Device ${actor.deviceId}: its last send could not be recorded before the hand-over: ${(err as Error).message}`));
		if (actor.status !== 'pairing') {
			await this.saveStatus(actor.deviceId, { nodeId: this.nodeId, epoch: actor.epoch }, 'reconnecting', reason);
		}
		await this.leases.release(actor.deviceId, actor.epoch);
	}

	/**
	 * Runs a user's command on this node: the service routes it here because this node holds the
	 * device or is its preferred holder. Throws DeviceBusyError when another node holds it.
	 */
	command(deviceId: string, command: Command, status: DeviceStatus): Promise<Pairing> {
		const none: Pairing = { qr: null, pairingCode: null };
		if (this.stopping) return Promise.reject(new DeviceBusyError(deviceId));
		return this.withDevice(deviceId, async () => {
			let actor = this.actors.get(deviceId);
			if (command.kind === 'logout' && actor?.running) {
				await actor.logout();
				return none;
			}
			if (actor) {
				this.actors.delete(deviceId);
				await actor.stop();
			}
			const epoch = actor?.epoch ?? (await this.leases.acquire([deviceId], { expiredOnly: false })).get(deviceId);
			if (epoch === undefined) throw new DeviceBusyError(deviceId, (await this.leases.holder(deviceId))?.nodeId);
			const fence: Fence = { nodeId: this.nodeId, epoch };
			if (command.kind === 'stop') {
				await this.saveStatus(deviceId, fence, command.status, command.reason);
				await this.leases.release(deviceId, epoch);
				return none;
			}
			if (command.kind === 'pair') {
				await clearAuthState(this.deps.db, deviceId, fence);
				const mode: StartMode = command.method === 'qr' ? { kind: 'pair', method: 'qr' } : { kind: 'pair', method: 'code', phone: command.phone };
				actor = await this.startActor(deviceId, epoch, mode, status);
				const pairing = await actor.waitFor(a => (a.qr || a.pairingCode || !a.running || a.status !== 'pairing' ? a : undefined), COMMAND_TIMEOUT_MS, 'a QR or pairing code');
				return { qr: pairing.qr, pairingCode: pairing.pairingCode };
			}
			actor = await this.startActor(deviceId, epoch, { kind: 'resume' }, status);
			if (command.kind === 'logout') {
				// To unlink from the phone the session must be connected; give it a moment, then log out either way.
				await actor.waitFor(a => a.status === 'online' || !a.running, COMMAND_TIMEOUT_MS, 'the device to connect').catch(() => undefined);
				if (actor.running) await actor.logout();
			}
			return none;
		});
	}

	private async startActor(deviceId: string, epoch: number, mode: StartMode, status: DeviceStatus): Promise<DeviceActor> {
		const fence: Fence = { nodeId: this.nodeId, epoch };
		const store = new AuthStateStore(this.deps.db, deviceId, fence);
		const actor: DeviceActor = new DeviceActor(
			deviceId,
			epoch,
			this.deps.createDriver(store),
			this.deps.limiter,
			{
				status: (next, reason, account) => this.saveStatus(deviceId, fence, next, reason, account),
				qr: qr => this.deps.events.qr(deviceId, qr),
				pairingCode: code => this.deps.events.pairingCode(deviceId, code),
				receipts: receipts => this.deps.events.receipts(deviceId, receipts),
				messages: messages => this.deps.events.messages(deviceId, messages),
				readElsewhere: ids => this.deps.events.readElsewhere(deviceId, ids),
				clearSession: () => clearAuthState(this.deps.db, deviceId, fence),
				finished: () =>
					void this.withDevice(deviceId, async () => {
						if (this.actors.get(deviceId) !== actor) return;
						this.actors.delete(deviceId);
						await this.leases.release(deviceId, epoch);
					}).catch(err => this.deps.logger.warn(`Releasing device ${deviceId}: ${(err as Error).message}`)),
				logger: this.deps.logger,
			},
			this.options.actor,
			status,
		);
		this.born.set(actor, this.round);
		this.actors.set(deviceId, actor);
		await actor.start(mode);
		return actor;
	}

	/** Writes a status only while this node holds the lease at this epoch, so a stale holder cannot overwrite it. */
	private async saveStatus(deviceId: string, fence: Fence, status: DeviceStatus, reason: string | null, account?: LinkedAccount): Promise<void> {
		const rows = await this.deps.db.execute<{ previous: DeviceStatus; previous_jid: string | null }[]>(
			`with old as (select status, jid from devices where id = ?)
			 update devices set status = ?, status_reason = ?, updated_at = now(),
			   last_seen_at = case when ? = 'online' or status = 'online' then now() else last_seen_at end,
			   phone = coalesce(?, phone), jid = coalesce(?, jid), lid = coalesce(?, lid)
			 where id = ? and exists (select 1 from device_leases l where l.device_id = ? and l.node_id = ? and l.epoch = ?)
			 returning (select status from old) as previous, (select jid from old) as previous_jid`,
			[deviceId, status, reason, status, account?.phone ?? null, account?.jid ?? null, account?.lid ?? null, deviceId, deviceId, fence.nodeId, fence.epoch],
		);
		if (!rows[0]) return; // not ours any more (or deleted): renewal stops the actor
		await this.deps.events.statusChanged(deviceId, rows[0].previous, status, reason, Boolean(account && account.jid !== rows[0].previous_jid));
	}
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
