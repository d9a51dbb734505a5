import type { AccountRecord, Directory } from './accounts.ts';
import type { OnlineDevices } from './online-devices.ts';

/** An account by number, or anything that carries one (a Phone handle, an AccountRecord). */
export type AccountRef = string | { phone: string };

/** Baileys maps 403 to `DisconnectReason.forbidden`; WhatsApp's temporary ban is 402. */
export const BANNED = 403;
/** "Reach-out timelock": the account may not start new chats. Baileys marks the message ERROR. */
export const REACH_OUT_TIMELOCKED = 463;

/**
 * Failures on demand, for testing how a client copes: connections dropped, logins refused,
 * sends rejected, acks late, a server that stops answering.
 */
export class Faults {
	private readonly rejections = new Map<string, number>();
	/** `account|contact` pairs where the contact wrote to the account: a 463 (new chats held) spares them. */
	private readonly wrote = new Set<string>();
	private readonly silenced = new Set<string>();
	private ackDelayMs = 0;

	constructor(
		private readonly directory: Directory,
		private readonly online: OnlineDevices,
		private readonly onChange: () => void,
	) {}

	/**
	 * Cut the TCP connection of one companion (device JID) or of all of an account's companions,
	 * without a goodbye; Baileys sees the socket close (428). Returns how many were cut.
	 */
	dropConnection(target: AccountRef): number {
		const connections = typeof target === 'string' && target.includes('@') ? [this.online.get(target)].filter(c => c !== undefined) : this.online.ofAccount(this.account(target));
		for (const connection of connections) connection.terminate();
		return connections.length;
	}

	/** Refuse the account's logins with `<failure reason=403/>` (or `reason`), and end its live sockets the same way. */
	ban(target: AccountRef, reason = BANNED): void {
		const account = this.account(target);
		account.bannedWith = reason;
		this.onChange();
		for (const connection of this.online.ofAccount(account)) connection.fail(reason);
	}

	unban(target: AccountRef): void {
		delete this.account(target).bannedWith;
		this.onChange();
	}

	/** Every message the account's companions send is acked with `error=<code>` and goes nowhere. */
	rejectSends(target: AccountRef, code = REACH_OUT_TIMELOCKED): void {
		this.rejections.set(this.account(target).phone, code);
	}

	allowSends(target: AccountRef): void {
		this.rejections.delete(this.account(target).phone);
	}

	/** The error a companion's message to `to` (a JID) is acked with: 463 only for a contact who never wrote to the account. */
	sendRejection(account: AccountRecord, to?: string): number | undefined {
		const code = this.rejections.get(account.phone);
		if (code === REACH_OUT_TIMELOCKED && to && this.wrote.has(`${account.phone}|${to.split('@')[0]!.split(':')[0]}`)) return undefined;
		return code;
	}

	/** A contact wrote to the account: from now on it is an existing chat. */
	contactWrote(accountPhone: string, contactPhone: string, contactLid: string): void {
		// Either is how a companion may address the contact.
		this.wrote.add(`${accountPhone}|${contactPhone}`);
		this.wrote.add(`${accountPhone}|${contactLid}`);
	}

	/** Hold every message ack for `ms` before sending it (0 to stop). */
	delayAcks(ms: number): void {
		this.ackDelayMs = ms;
	}

	get ackDelay(): number {
		return this.ackDelayMs;
	}

	/**
	 * The server goes quiet for the account: nothing is sent to its sockets, pings are not answered,
	 * so Baileys gives up on its own after its keep-alive interval (408, connectionLost).
	 */
	silence(target: AccountRef): void {
		const account = this.account(target);
		this.silenced.add(account.phone);
		for (const connection of this.online.ofAccount(account)) connection.silenced = true;
	}

	unsilence(target: AccountRef): void {
		const account = this.account(target);
		this.silenced.delete(account.phone);
		for (const connection of this.online.ofAccount(account)) connection.silenced = false;
	}

	isSilenced(account: AccountRecord): boolean {
		return this.silenced.has(account.phone);
	}

	/** Back to normal: no bans, rejections, delays or silence. */
	clear(): void {
		for (const user of this.directory.users()) if (user.kind === 'account' && user.bannedWith) delete user.bannedWith;
		for (const phone of [...this.silenced]) this.unsilence(phone);
		this.rejections.clear();
		this.ackDelayMs = 0;
		this.onChange();
	}

	private account(target: AccountRef): AccountRecord {
		const phone = typeof target === 'string' ? target.split('@')[0].split(':')[0] : target.phone;
		const user = this.directory.byNumber(phone);
		if (user?.kind !== 'account') throw new Error(`${phone} is not an account on the double`);
		return user;
	}
}
