import type { ChatDto, ChatMessageDto, ChatsPage, MessagesPage, ReadResult, UnreadDto } from '$server/inbox/inbox.params.ts';
import { http, queryString } from './http.ts';

// The inbox service's own contract, so the page and the server cannot drift apart.
export type { ChatDto, ChatMessageDto, ChatsPage, MessagesPage, ReadResult, UnreadDto };

/** A chat in a route: the contact's number without the plus, or the chat's id while only its LID is known. */
export const chatKey = (chat: Pick<ChatDto, 'id' | 'phone'>) => (chat.phone ? chat.phone.replace(/^\+/, '') : chat.id);

const chatsPath = (deviceId: string) => `/api/devices/${encodeURIComponent(deviceId)}/chats`;
const chatPath = (deviceId: string, chat: string) => `${chatsPath(deviceId)}/${encodeURIComponent(chat)}`;

export const listChats = (deviceId: string, options: { q?: string; page?: number; pageSize?: number }) =>
	http.get<ChatsPage>(`${chatsPath(deviceId)}${queryString({ q: options.q || undefined, page: options.page, pageSize: options.pageSize })}`);

export const listMessages = (deviceId: string, chat: string, options: { before?: string; limit?: number } = {}) =>
	http.get<MessagesPage>(`${chatPath(deviceId, chat)}/messages${queryString(options)}`);

export const sendChatMessage = (deviceId: string, chat: string, body: { text: string } | { mediaId: string; caption?: string }) =>
	http.post<ChatMessageDto>(`${chatPath(deviceId, chat)}/messages`, body);

export const markChatRead = (deviceId: string, chat: string) => http.post<ReadResult>(`${chatPath(deviceId, chat)}/read`, {});

export const fetchUnread = () => http.get<UnreadDto>('/api/inbox/unread');
