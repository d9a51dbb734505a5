/** The devices service's record actions: the user's devices, their pairing, reconnects, logout and delete. */
import { Errors, type Context } from 'moleculer';
import { userOf } from '../../mixins/auth.middleware.ts';
import { emOf } from '../../mixins/orm.middleware.ts';
import { recordOf } from '../../mixins/record.middleware.ts';
import { hasSession } from './auth-state.ts';
import { applyPacing, toDeviceDto } from './device-dto.ts';
import type { Command, Pairing } from './device-host.ts';
import { Device } from './device.entity.ts';
import type { DevicesSchema } from './devices.types.ts';
import * as E from './devices.events.ts';
import * as P from './devices.params.ts';

const { MoleculerClientError, ValidationError } = Errors;

const conflict = (message: string) => new MoleculerClientError(message, 409, 'DEVICE_STATE');
/** The caller's device named by `:id`, loaded before the handler (404 otherwise). */
const ownDevice = { entity: Device, notFound: 'No such device.' };

/** Digits of a number typed with country code ("+60 12-345 6789"), or a validation error. */
function pairingPhone(raw: string | undefined): string {
	const digits = (raw ?? '').replace(/[\s().+-]/g, '');
	if (!/^[1-9]\d{7,14}$/.test(digits)) {
		throw new ValidationError('Enter the phone number with its country code.', 'VALIDATION_ERROR', [
			{ field: 'phone', message: 'Use the full number with country code, e.g. +60 12 345 6789.', type: 'phone' },
		]);
	}
	return digits;
}

export const recordActions: DevicesSchema['actions'] = {
	list: {
		rest: 'GET /devices',
		async handler(ctx: Context) {
			const devices = await emOf(ctx).find(Device, { user: userOf(ctx).id }, { orderBy: { createdAt: 'asc' } });
			return devices.map(toDeviceDto);
		},
	},

	create: {
		rest: 'POST /devices',
		params: P.createParams,
		async handler(ctx: Context<P.CreateParams, { $statusCode?: number }>) {
			const device = emOf(ctx).create(Device, { user: userOf(ctx).id, name: ctx.params.name } as never) as Device;
			const dto = await this.saveDevice(ctx, device, ctx.params.pacing);
			ctx.meta.$statusCode = 201;
			return dto;
		},
	},

	/** The device, who holds it, and what deleting it would remove. */
	get: {
		rest: 'GET /devices/:id',
		params: P.idParams,
		record: ownDevice,
		async handler(ctx: Context<P.IdParams>): Promise<P.DeviceDetailsDto> {
			const device = recordOf<Device>(ctx);
			return { ...toDeviceDto(device), node: (await this.holderNode(device.id)) ?? null, deleteRemoves: await this.deleteImpact(device.id) };
		},
	},

	update: {
		rest: 'PATCH /devices/:id',
		params: P.updateParams,
		record: ownDevice,
		async handler(ctx: Context<P.UpdateParams>) {
			const device = recordOf<Device>(ctx);
			if (ctx.params.name !== undefined) device.name = ctx.params.name;
			return this.saveDevice(ctx, device, ctx.params.pacing);
		},
	},

	/** Logs the device out (unlinking it from the phone), then deletes it and every row that references it. */
	remove: {
		rest: 'DELETE /devices/:id',
		params: P.idParams,
		record: ownDevice,
		async handler(ctx: Context<P.IdParams, { $statusCode?: number }>) {
			const device = recordOf<Device>(ctx);
			if (await hasSession(this.db, device.id)) {
				await this.route(ctx, device, { kind: 'logout' }).catch(err => this.logger.warn(`Logout before deleting ${device.id} failed: ${err.message}`));
			}
			// Whatever holds it now lets go, leaving a status no node picks up before the row is gone.
			if (await this.holderNode(device.id)) await this.route(ctx, device, { kind: 'stop', status: 'offline', reason: 'Being deleted' });
			// Foreign keys cascade: one statement removes the device and everything that references it.
			await emOf(ctx).nativeDelete(Device, { id: device.id, user: userOf(ctx).id });
			this.owners.delete(device.id);
			ctx.broadcast<E.DeviceDeleted>(E.DEVICE_DELETED, { userId: userOf(ctx).id, deviceId: device.id });
			ctx.meta.$statusCode = 204;
			return null;
		},
	},

	/** Starts linking: a QR to scan (live as `device.qr` events) or an 8-character code for the phone. */
	pair: {
		rest: 'POST /devices/:id/pair',
		params: P.pairParams,
		record: ownDevice,
		async handler(ctx: Context<P.PairParams>): Promise<P.PairingDto> {
			const device = recordOf<Device>(ctx);
			if (['online', 'connecting', 'reconnecting'].includes(device.status)) throw conflict('This device is linked. Log it out before pairing it again.');
			const command: Command = ctx.params.method === 'code' ? { kind: 'pair', method: 'code', phone: pairingPhone(ctx.params.phone) } : { kind: 'pair', method: 'qr' };
			const pairing = await this.route(ctx, device, command);
			await emOf(ctx).refresh(device);
			return { status: device.status, ...pairing };
		},
	},

	/** What to show while pairing: the current QR or pairing code. */
	qr: {
		rest: 'GET /devices/:id/qr',
		params: P.idParams,
		record: ownDevice,
		async handler(ctx: Context<P.IdParams>): Promise<P.PairingDto> {
			const device = recordOf<Device>(ctx);
			const node = device.status === 'pairing' ? await this.holderNode(device.id) : undefined;
			const pairing: Pairing = node ? await ctx.call('devices.pairing', { deviceId: device.id }, { nodeID: node }) : { qr: null, pairingCode: null };
			return { status: device.status, ...pairing };
		},
	},

	/** Reconnects with the stored session (no QR). */
	reconnect: {
		rest: 'POST /devices/:id/reconnect',
		params: P.idParams,
		record: ownDevice,
		async handler(ctx: Context<P.IdParams>) {
			const device = recordOf<Device>(ctx);
			if (!(await hasSession(this.db, device.id))) throw conflict('This device is not linked. Pair it first.');
			await this.route(ctx, device, { kind: 'reconnect' });
			await emOf(ctx).refresh(device);
			return toDeviceDto(device);
		},
	},

	/** Unlinks the device from the phone and forgets the session; phone and JID stay for re-pairing. */
	logout: {
		rest: 'POST /devices/:id/logout',
		params: P.idParams,
		record: ownDevice,
		async handler(ctx: Context<P.IdParams>) {
			const device = recordOf<Device>(ctx);
			const linked = await hasSession(this.db, device.id);
			if (!linked && device.status !== 'pairing') throw conflict('This device is not linked.');
			await this.route(ctx, device, linked ? { kind: 'logout' } : { kind: 'stop', status: 'new', reason: 'Pairing cancelled' });
			await emOf(ctx).refresh(device);
			return toDeviceDto(device);
		},
	},
};

export const recordMethods: DevicesSchema['methods'] = {
	/** Applies a pacing change (refusing an inconsistent one), saves, and tells the owner's tabs. */
	async saveDevice(ctx, device, pacing) {
		const problem = applyPacing(device, pacing ?? {});
		if (problem) throw new ValidationError(problem, 'VALIDATION_ERROR', [{ field: 'pacing', message: problem, type: 'pacing' }]);
		await emOf(ctx).flush();
		const dto = toDeviceDto(device);
		ctx.broadcast(E.DEVICE_UPDATED, { userId: userOf(ctx).id, device: dto } satisfies E.DeviceUpdated);
		return dto;
	},

	async deleteImpact(deviceId) {
		// Every table whose rows cascade away with a device, found in the catalog, so tables added later count too.
		const references = await this.db.execute<{ table_name: string; count_query: string }[]>(
			`select c.conrelid::regclass::text as table_name,
			        format('select count(*)::int as n from %s where %I = ?', c.conrelid::regclass, a.attname) as count_query
			 from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
			 where c.contype = 'f' and c.confdeltype = 'c' and c.confrelid = 'devices'::regclass order by 1`,
		);
		const removes: Record<string, number> = { devices: 1 };
		for (const { table_name, count_query } of references) {
			const rows = await this.db.execute<{ n: number }[]>(count_query, [deviceId]);
			removes[table_name] = rows[0]?.n ?? 0;
		}
		return removes;
	},
};
