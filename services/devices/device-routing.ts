/** Where a device lives: commands run on the node holding its lease, and what each node holds. */
import { Errors, type Context } from 'moleculer';
import { DeviceBusyError, type Pairing } from './device-host.ts';
import type { CommandParams, DevicesSchema, MarkReadParams } from './devices.types.ts';
import { preferredNode } from './leases.ts';

const { MoleculerRetryableError } = Errors;

export const routingActions: DevicesSchema['actions'] = {
	/** Runs a command on the device held here. Internal: `route` calls it on the right node. */
	command: {
		visibility: 'public',
		async handler(ctx: Context<CommandParams>): Promise<Pairing> {
			try {
				return await this.host.command(ctx.params.deviceId, ctx.params.command, ctx.params.status);
			} catch (err) {
				if (err instanceof DeviceBusyError) throw new MoleculerRetryableError(err.message, 409, 'DEVICE_MOVED');
				throw err;
			}
		},
	},

	/** The QR or pairing code of a device held here. Internal. */
	pairing: {
		visibility: 'public',
		handler(ctx: Context<{ deviceId: string }>): Pairing {
			const actor = this.host.actor(ctx.params.deviceId);
			return { qr: actor?.qr ?? null, pairingCode: actor?.pairingCode ?? null };
		},
	},

	/**
	 * Tells the contacts of a device that their messages were read, through the node holding it.
	 * Answers false when no node holds it online now. Internal (the inbox calls it).
	 */
	markRead: {
		visibility: 'public',
		auth: 'public',
		async handler(ctx: Context<MarkReadParams>): Promise<boolean> {
			const nodeID = await this.holderNode(ctx.params.deviceId);
			if (!nodeID) return false;
			return ctx.call<boolean, MarkReadParams>('devices.markReadHere', ctx.params, { nodeID });
		},
	},

	/** `markRead` on the node holding the device. Internal. */
	markReadHere: {
		visibility: 'public',
		auth: 'public',
		async handler(ctx: Context<MarkReadParams>): Promise<boolean> {
			const actor = this.host.actor(ctx.params.deviceId);
			return actor ? actor.markRead(ctx.params.keys) : false;
		},
	},

	/** Ids of a user's online devices (campaigns check there is one before firing). Internal. */
	onlineOf: {
		visibility: 'public',
		auth: 'public',
		async handler(ctx: Context<{ userId: string }>): Promise<string[]> {
			const rows = await this.db.execute<{ id: string }[]>(`select id from devices where user_id = ? and status = 'online'`, [ctx.params.userId]);
			return rows.map(r => r.id);
		},
	},

	/** Which devices this node holds, for the REPL, tests and the fleet page. */
	held: {
		visibility: 'public',
		auth: 'public',
		handler(): { nodeId: string; devices: string[]; connectingPeak: number } {
			return { nodeId: this.broker.nodeID, devices: this.host.heldDevices(), connectingPeak: this.limiter.peak };
		},
	},
};

export const routingMethods: DevicesSchema['methods'] = {
	async route(ctx, device, command) {
		const { id: deviceId, status } = device;
		for (let attempt = 1; ; attempt++) {
			const nodeID = (await this.holderNode(deviceId)) ?? preferredNode(deviceId, await this.host.candidates())!;
			try {
				return (await ctx.call('devices.command', { deviceId, command, status } satisfies CommandParams, { nodeID, timeout: 60_000 })) as Pairing;
			} catch (err) {
				// The device changed hands between the lookup and the call: look again.
				if ((err as { type?: string }).type !== 'DEVICE_MOVED' || attempt >= 3) throw err;
			}
		}
	},

	async holderNode(deviceId) {
		const holder = await this.host.leases.holder(deviceId);
		return holder && this.liveNodes().includes(holder.nodeId) ? holder.nodeId : undefined;
	},

	liveNodes() {
		const registry = this.broker.registry as unknown as { getServiceList(o: object): { name: string; nodeID: string }[] };
		const services = registry.getServiceList({ onlyAvailable: true, skipInternal: true });
		return [...new Set(services.filter(s => s.name === 'devices').map(s => s.nodeID))];
	},

	async ownerOf(deviceId) {
		let owner = this.owners.get(deviceId);
		if (!owner) {
			const rows = await this.db.execute<{ user_id: string }[]>(`select user_id from devices where id = ?`, [deviceId]);
			owner = rows[0]?.user_id;
			if (owner) this.owners.set(deviceId, owner);
		}
		return owner;
	},
};
