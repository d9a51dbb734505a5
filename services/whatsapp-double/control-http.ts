import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Contact } from './contacts.ts';
import { WaitTimeoutError, type DoubleEventType, type LoggedEvent } from './events.ts';
import type { ReceivedMessage } from './messages.ts';
import { PairingError } from './pairing.ts';
import { WrongPairingCodeError } from './pairing-crypto.ts';
import type { Phone } from './phone.ts';
import type { WhatsAppDouble } from './server.ts';

type Body = Record<string, unknown>;
type Handler = (params: string[], body: Body, query: URLSearchParams) => Promise<unknown> | unknown;

class ControlError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

/** Received messages as JSON: the image bytes in base64, the decoded message as protobuf JSON. */
export function receivedToJson(message: ReceivedMessage) {
	return { ...message, image: message.image && { ...message.image, bytes: message.image.bytes.toString('base64') } };
}

/** An event matches when every field given in `match` equals the event's. */
function matches(event: LoggedEvent, match: Body): boolean {
	return Object.entries(match).every(([key, value]) => JSON.stringify((event as Record<string, unknown>)[key]) === JSON.stringify(value));
}

/**
 * The in-process control API over HTTP on the double's own port (`/control/…`, JSON in and out),
 * for tests and Fleetcast nodes in other processes. `control-client.ts` is its typed client.
 */
export class ControlApi {
	private readonly routes: [method: string, pattern: RegExp, handler: Handler][];

	constructor(private readonly double: WhatsAppDouble) {
		const d = double;
		this.routes = [
			['GET', /^\/control\/info$/, () => d.endpoint],
			['GET', /^\/control\/events$/, (_, __, q) => d.events.list().filter(e => (!q.get('type') || e.type === q.get('type')) && e.seq > Number(q.get('since') ?? 0))],
			['POST', /^\/control\/wait$/, (_, b) => this.wait(b)],
			['GET', /^\/control\/conflicts$/, () => d.conflicts],
			['GET', /^\/control\/online$/, () => d.onlineDevices()],
			['POST', /^\/control\/accounts$/, (_, b) => d.addAccount({ phone: optional(b.phone), name: optional(b.name), business: b.business === true })],
			['GET', /^\/control\/accounts$/, () => d.accounts()],
			['GET', /^\/control\/accounts\/(\d+)$/, ([p]) => this.phone(p)],
			['POST', /^\/control\/accounts\/(\d+)\/scan$/, async ([p], b) => ({ device: await this.phone(p).scan(required(b.qr, 'qr')) })],
			['POST', /^\/control\/accounts\/(\d+)\/code$/, async ([p], b) => ({ device: await this.phone(p).enterCode(required(b.code, 'code')) })],
			['POST', /^\/control\/accounts\/(\d+)\/unlink$/, ([p], b) => ({ unlinked: this.phone(p).unlink(required(b.device, 'device')) })],
			['GET', /^\/control\/accounts\/(\d+)\/received$/, ([p]) => this.phone(p).received().map(receivedToJson)],
			[
				'POST',
				/^\/control\/contacts$/,
				(_, b) =>
					d.addContact({
						phone: optional(b.phone),
						name: optional(b.name),
						addressing: b.addressing === 'pn' ? 'pn' : 'lid',
						autoDeliveryReceipts: b.autoDeliveryReceipts !== false,
					}),
			],
			['GET', /^\/control\/contacts$/, () => d.contacts()],
			['GET', /^\/control\/contacts\/(\d+)$/, ([p]) => this.contact(p)],
			['POST', /^\/control\/contacts\/(\d+)\/text$/, async ([p], b) => ({ id: await this.contact(p).sendText(required(b.to, 'to'), required(b.text, 'text'), { id: optional(b.id) }) })],
			[
				'POST',
				/^\/control\/contacts\/(\d+)\/image$/,
				async ([p], b) => ({
					id: await this.contact(p).sendImage(
						required(b.to, 'to'),
						{ image: Buffer.from(required(b.image, 'image'), 'base64'), mimetype: optional(b.mimetype), caption: optional(b.caption) },
						{ id: optional(b.id) },
					),
				}),
			],
			['POST', /^\/control\/contacts\/(\d+)\/read$/, ([p], b) => this.contact(p).markRead(ids(b))],
			['POST', /^\/control\/contacts\/(\d+)\/delivered$/, ([p], b) => this.contact(p).markDelivered(ids(b))],
			['POST', /^\/control\/contacts\/(\d+)\/presence$/, ([p], b) => this.contact(p).setPresence(required(b.to, 'to'), b.presence === 'unavailable' ? 'unavailable' : 'available')],
			['POST', /^\/control\/contacts\/(\d+)\/typing$/, ([p], b) => this.contact(p).typing(required(b.to, 'to'), (optional(b.state) ?? 'composing') as 'composing')],
			['GET', /^\/control\/contacts\/(\d+)\/received$/, ([p]) => this.contact(p).received().map(receivedToJson)],
			['POST', /^\/control\/faults\/([a-z-]+)$/, ([name], b) => this.fault(name, b)],
		];
	}

	handle(req: IncomingMessage, res: ServerResponse): void {
		const url = new URL(req.url ?? '/', 'http://double');
		const route = this.routes.find(([method, pattern]) => method === req.method && pattern.test(url.pathname));
		if (!route) return void send(res, 404, { error: `no control route ${req.method} ${url.pathname}` });
		const [, pattern, handler] = route;
		const params = pattern.exec(url.pathname)!.slice(1);
		readJson(req)
			.then(body => handler(params, body, url.searchParams))
			.then(
				result => send(res, 200, result ?? { ok: true }),
				error => send(res, statusOf(error), { error: String(error instanceof Error ? error.message : error), name: error?.name }),
			);
	}

	private wait(body: Body): Promise<LoggedEvent> {
		const match = (body.match ?? {}) as Body;
		const timeoutMs = typeof body.timeoutMs === 'number' ? body.timeoutMs : 15_000;
		const since = typeof body.since === 'number' ? body.since : 0;
		return this.double.waitFor(required(body.type, 'type') as DoubleEventType, e => matches(e, match), { timeoutMs, since });
	}

	private fault(name: string, body: Body): unknown {
		const faults = this.double.faults;
		const target = () => required(body.target, 'target');
		switch (name) {
			case 'drop':
				return { dropped: faults.dropConnection(target()) };
			case 'ban':
				return faults.ban(target(), typeof body.reason === 'number' ? body.reason : undefined);
			case 'unban':
				return faults.unban(target());
			case 'reject-sends':
				return faults.rejectSends(target(), typeof body.code === 'number' ? body.code : undefined);
			case 'allow-sends':
				return faults.allowSends(target());
			case 'delay-acks':
				return faults.delayAcks(typeof body.ms === 'number' ? body.ms : 0);
			case 'silence':
				return faults.silence(target());
			case 'unsilence':
				return faults.unsilence(target());
			case 'clear':
				return faults.clear();
			default:
				throw new ControlError(404, `no fault named ${name}`);
		}
	}

	private phone(phone: string): Phone {
		const found = this.double.account(phone);
		if (!found) throw new ControlError(404, `no account ${phone}`);
		return found;
	}

	private contact(phone: string): Contact {
		const found = this.double.contact(phone);
		if (!found) throw new ControlError(404, `no contact ${phone}`);
		return found;
	}
}

function statusOf(error: unknown): number {
	if (error instanceof ControlError) return error.status;
	if (error instanceof PairingError || error instanceof WrongPairingCodeError) return 409;
	if (error instanceof WaitTimeoutError) return 504;
	return 400;
}

const optional = (value: unknown) => (typeof value === 'string' ? value : undefined);

function required(value: unknown, name: string): string {
	if (typeof value !== 'string' || !value) throw new ControlError(400, `${name} is required`);
	return value;
}

const ids = (body: Body) => (Array.isArray(body.ids) ? body.ids.map(String) : undefined);

function send(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readJson(req: IncomingMessage): Promise<Body> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('error', reject);
		req.on('end', () => {
			const text = Buffer.concat(chunks).toString('utf8');
			try {
				resolve(text ? (JSON.parse(text) as Body) : {});
			} catch {
				reject(new ControlError(400, 'the body is not JSON'));
			}
		});
	});
}
