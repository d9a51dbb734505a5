/** The devices service's own shape (settings, methods, what it holds), shared by the files it is split into. */
import type { Context, Service } from 'moleculer';
import type { SqlConnection } from '../../mixins/orm/database.ts';
import type { RedisLocals } from '../../mixins/redis.mixin.ts';
import type { FleetServiceSchema } from '../../mixins/service-schema.ts';
import type { MessagePreparation } from '../messages/preparation.ts';
import type { AuthStateStore } from './auth-state.ts';
import type { WhatsAppServer } from './baileys-driver.ts';
import type { ConnectLimiter } from './connect-limiter.ts';
import type { Command, DeviceHost, Pairing } from './device-host.ts';
import type { Device, DeviceStatus } from './device.entity.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { DevicePacing } from './pacing.ts';
import type { InboxFeed } from './inbox-feed.ts';
import type * as P from './devices.params.ts';
import type { ReadKey, WhatsAppDriver } from './whatsapp-driver.ts';
import type { NumberChecks } from './number-checks.ts';

export interface DevicesSettings {
	leaseTtlMs: number;
	connectConcurrency: number;
	maxRestarts: number;
	handoverWave: number;
	startJitterMs: number;
	backoffBaseMs: number;
	backoffMaxMs: number;
	/** A WhatsApp double to connect to instead of WhatsApp; found from WHATSAPP_DOUBLE_URL or the demo service when unset. */
	whatsapp?: WhatsAppServer;
	/** Demo mode: use the demo service's double. */
	demo: boolean;
	/** Devices with nothing due look for messages again this often. */
	dispatchPollMs: number;
	/** After a 463, how long a number's new chats wait before one is tried (doubling on each repeat, up to a day). */
	newChatPauseSeconds: number;
}

export interface DevicesMethods {
	saveDevice(ctx: Context, device: Device, pacing?: Partial<P.Pacing>): Promise<P.DeviceDto>;
	deleteImpact(deviceId: string): Promise<Record<string, number>>;
	/** Runs a command on the node that holds (or should hold) the device. */
	route(ctx: Context, device: Device, command: Command): Promise<Pairing>;
	holderNode(deviceId: string): Promise<string | undefined>;
	liveNodes(): string[];
	ownerOf(deviceId: string): Promise<string | undefined>;
	publishDevice(deviceId: string, extra?: { previous: DeviceStatus; linked: boolean }): Promise<void>;
	findServer(): Promise<WhatsAppServer | undefined>;
	devicePacing(deviceIds: string[]): Promise<Map<string, DevicePacing>>;
	/** The WhatsApp connection of one device: Baileys, pointed at WhatsApp or at a double. */
	createDriver(store: AuthStateStore): WhatsAppDriver;
}

export interface DevicesLocals extends RedisLocals {
	host: DeviceHost;
	dispatcher: Dispatcher;
	inboxFeed: InboxFeed;
	preparation: MessagePreparation;
	limiter: ConnectLimiter;
	db: SqlConnection;
	/** Whether numbers are on WhatsApp, as learned at first sends. */
	numberChecks: NumberChecks;
	owners: Map<string, string>;
	metricsTimer?: NodeJS.Timeout;
	server?: WhatsAppServer;
	renewals?: SqlConnection & { close(): Promise<void> };
}

export type DevicesSchema = FleetServiceSchema<DevicesSettings, DevicesMethods, DevicesLocals>;
export type DevicesThis = Service<DevicesSettings> & DevicesMethods & DevicesLocals;

/** `devices.command`: what to run on the holding node, with the status the caller saw. */
export interface CommandParams {
	deviceId: string;
	command: Command;
	status: DeviceStatus;
}

/** `devices.markRead`: contacts' messages of one device to mark read. */
export interface MarkReadParams {
	deviceId: string;
	keys: ReadKey[];
}
