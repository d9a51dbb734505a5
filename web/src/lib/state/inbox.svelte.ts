import { chatKey, listChats, listMessages, markChatRead, sendChatMessage, type ChatDto, type ChatMessageDto } from '../api/inbox.ts';
import { onReconnect, subscribe } from '../api/ws.ts';

const CHATS_PER_PAGE = 50;
const MESSAGES_PER_PAGE = 40;

/** The open conversation: its chat, the messages loaded so far (oldest first), and whether older ones exist. */
export interface Conversation {
	key: string;
	chat: ChatDto | null;
	messages: ChatMessageDto[];
	hasMore: boolean;
	loading: boolean;
	loadingOlder: boolean;
	error: unknown;
}

/** How far along a message is: a late or repeated event never moves it back. */
const OUTBOUND_RANK: Record<string, number> = { pending: 0, sending: 1, failed: 1.5, cancelled: 1.5, sent: 2, delivered: 3, read: 4 };
const rank = (message: Pick<ChatMessageDto, 'status' | 'fromMe'>) => (message.fromMe ? (OUTBOUND_RANK[message.status] ?? 0) : message.status === 'read' ? 1 : 0);

const byNewest = (a: ChatDto, b: ChatDto) => (b.lastMessage?.at ?? '').localeCompare(a.lastMessage?.at ?? '') || b.id.localeCompare(a.id);

/** One number's inbox while its page is open: the chat list, a search, and the open conversation, all live over /ws. */
class Inbox {
	deviceId = $state<string | null>(null);
	chats = $state<ChatDto[]>([]);
	query = $state('');
	hasMore = $state(false);
	loading = $state(false);
	loaded = $state(false);
	loadError = $state<unknown>(null);
	conversation = $state<Conversation | null>(null);
	#page = 1;
	#read = 0;
	#conversationRead = 0;
	#stops: (() => void)[] = [];
	/** Ticks of messages not shown yet (their status came before the message itself). */
	#early = new Map<string, { status: ChatMessageDto['status']; error: string | null }>();

	start(deviceId: string): void {
		this.stop();
		this.deviceId = deviceId;
		this.#stops = [
			subscribe('inbox.message', ({ deviceId, chatId, message }) => deviceId === this.deviceId && this.#message(chatId, message)),
			subscribe('inbox.chat-updated', ({ deviceId, chat }) => deviceId === this.deviceId && this.#chatUpdated(chat)),
			subscribe('inbox.chat-merged', ({ deviceId, fromChatId, chat }) => deviceId === this.deviceId && this.#merged(fromChatId, chat)),
			subscribe('inbox.message-status', ({ deviceId, chatId, messageId, status, error }) => {
				const conversation = this.conversation;
				if (deviceId !== this.deviceId || (conversation?.chat && conversation.chat.id !== chatId)) return;
				const message = conversation?.messages.find((m) => m.id === messageId);
				if (!message) {
					if (this.#early.size < 1_000) this.#early.set(messageId, { status, error });
				} else if (rank({ status, fromMe: message.fromMe }) >= rank(message)) Object.assign(message, { status, error });
			}),
			// A lead's name or opt-out shows on its chat.
			subscribe('lead.updated', ({ lead }) => {
				if (lead.deviceId === this.deviceId && this.chats.some((c) => c.phone === lead.phone)) void this.load(false);
			}),
			onReconnect(() => {
				void this.load(false);
				if (this.conversation) void this.open(this.conversation.key, true);
			}),
		];
		// Messages that came while the tab was hidden are read when the reader comes back to it.
		const visible = () => document.visibilityState === 'visible' && this.conversation?.chat?.unread && void this.markRead();
		document.addEventListener('visibilitychange', visible);
		this.#stops.push(() => document.removeEventListener('visibilitychange', visible));
		void this.load();
	}

	/** Forgets everything, so another number or user never sees it. */
	stop(): void {
		for (const stop of this.#stops) stop();
		this.#stops = [];
		this.#read += 1;
		this.#conversationRead += 1;
		this.deviceId = null;
		this.chats = [];
		this.query = '';
		this.hasMore = false;
		this.loaded = false;
		this.loading = false;
		this.loadError = null;
		this.conversation = null;
		this.#early.clear();
	}

	search(query: string): void {
		this.query = query;
		void this.load();
	}

	/** Reads the first page again (`quiet`: without showing it loading), or the next one. */
	async load(showLoading = true, more = false): Promise<void> {
		const deviceId = this.deviceId;
		if (!deviceId) return;
		const read = ++this.#read;
		const page = more ? this.#page + 1 : 1;
		if (showLoading) this.loading = true;
		this.loadError = null;
		try {
			const result = await listChats(deviceId, { q: this.query.trim() || undefined, page, pageSize: CHATS_PER_PAGE });
			if (read !== this.#read) return;
			const known = more ? this.chats.filter((c) => !result.items.some((item) => item.id === c.id)) : [];
			this.chats = [...known, ...result.items];
			this.hasMore = result.hasMore;
			this.#page = page;
			this.loaded = true;
		} catch (error) {
			if (read === this.#read) this.loadError = error;
		} finally {
			if (read === this.#read) this.loading = false;
		}
	}

	/** Opens a conversation by its route key (the number without the plus, or the chat id); `again`: keep what is shown while re-reading. */
	async open(key: string, again = false): Promise<void> {
		const deviceId = this.deviceId;
		if (!deviceId) return;
		const read = ++this.#conversationRead;
		if (!again || this.conversation?.key !== key) {
			this.conversation = { key, chat: this.chats.find((c) => chatKey(c) === key) ?? null, messages: [], hasMore: false, loading: true, loadingOlder: false, error: null };
		}
		try {
			const page = await listMessages(deviceId, key, { limit: MESSAGES_PER_PAGE });
			if (read !== this.#conversationRead || !this.conversation) return;
			// What arrived live while the page was read stays.
			const conversation = this.conversation;
			const live = conversation.messages.filter((m) => !page.items.some((item) => item.id === m.id) && m.at >= (page.items[0]?.at ?? ''));
			Object.assign(conversation, { chat: page.chat, messages: [], hasMore: page.hasMore, loading: false, error: null });
			for (const message of [...page.items, ...live]) this.#add(conversation, message);
			this.#chatUpdated(page.chat);
			if (page.chat.unread > 0) void this.markRead();
		} catch (error) {
			if (read === this.#conversationRead && this.conversation) Object.assign(this.conversation, { loading: false, error });
		}
	}

	close(): void {
		this.#conversationRead += 1;
		this.conversation = null;
	}

	async loadOlder(): Promise<void> {
		const conversation = this.conversation;
		const deviceId = this.deviceId;
		if (!conversation || !deviceId || !conversation.hasMore || conversation.loadingOlder || !conversation.messages.length) return;
		conversation.loadingOlder = true;
		try {
			const page = await listMessages(deviceId, conversation.key, { before: conversation.messages[0]!.id, limit: MESSAGES_PER_PAGE });
			if (this.conversation !== conversation) return;
			const shown = new Set(conversation.messages.map((m) => m.id));
			conversation.messages = [...page.items.filter((m) => !shown.has(m.id)), ...conversation.messages];
			conversation.hasMore = page.hasMore;
		} catch (error) {
			conversation.error = error;
		} finally {
			conversation.loadingOlder = false;
		}
	}

	/** Sends a reply to the chat `key` (as it was when the user pressed Send); it shows at once as waiting, and its ticks follow. Throws what the server refused. */
	async send(key: string, body: { text: string } | { mediaId: string; caption?: string }): Promise<void> {
		const deviceId = this.deviceId;
		if (!deviceId) return;
		const message = await sendChatMessage(deviceId, key, body);
		const conversation = this.conversation;
		if (conversation?.key === key && this.deviceId === deviceId) this.#add(conversation, message);
	}

	/** Marks the open chat read (here, and on the contact's phone unless the tenant turned that off). */
	async markRead(): Promise<void> {
		const conversation = this.conversation;
		const deviceId = this.deviceId;
		if (!conversation?.chat || !deviceId || document.visibilityState === 'hidden') return;
		try {
			const { chat } = await markChatRead(deviceId, conversation.key);
			// Another number, or another user, may be shown by now.
			if (this.deviceId === deviceId) this.#chatUpdated(chat);
		} catch {
			// Unread stays unread; the next open or message tries again.
		}
	}

	#add(conversation: Conversation, message: ChatMessageDto): void {
		const early = this.#early.get(message.id);
		if (early) {
			this.#early.delete(message.id);
			if (rank({ status: early.status, fromMe: message.fromMe }) > rank(message)) message = { ...message, ...early };
		}
		const existing = conversation.messages.find((m) => m.id === message.id);
		if (existing) {
			if (rank(message) >= rank(existing)) Object.assign(existing, message);
			return;
		}
		conversation.messages = [...conversation.messages, message].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
	}

	#message(chatId: string, message: ChatMessageDto): void {
		const conversation = this.conversation;
		if (conversation?.chat?.id !== chatId) return;
		this.#add(conversation, message);
		if (!message.fromMe) void this.markRead();
	}

	#chatUpdated(chat: ChatDto): void {
		if (this.conversation?.chat?.id === chat.id || (this.conversation && !this.conversation.chat && chatKey(chat) === this.conversation.key)) this.conversation.chat = chat;
		const index = this.chats.findIndex((c) => c.id === chat.id);
		// While searching, only the chats found are kept up to date.
		if (index < 0 && this.query.trim()) return;
		const chats = index < 0 ? [...this.chats, chat] : this.chats.with(index, chat);
		this.chats = chats.sort(byNewest);
	}

	#merged(fromChatId: string, chat: ChatDto): void {
		this.chats = this.chats.filter((c) => c.id !== fromChatId);
		this.#chatUpdated(chat);
		if (this.conversation?.chat?.id === fromChatId) void this.open(chatKey(chat));
	}
}

export const inbox = new Inbox();
