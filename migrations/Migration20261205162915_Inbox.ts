import { Migration } from '@mikro-orm/migrations';

/**
 * The inbox: each number's personal chats and their latest messages, a tenant setting for read
 * receipts, where a stored image came from (a contact's images go with their messages), and an
 * index for the replies that go ahead of a number's queue.
 */
export class Migration20261205162915_Inbox extends Migration {

  override name = 'Migration20261205162915_Inbox';

  override up(): void | Promise<void> {
    this.addSql(`create table "chats" ("id" uuid not null, "user_id" uuid not null, "device_id" uuid not null, "phone" varchar(20) null, "lid" varchar(100) null, "push_name" varchar(200) null, "unread" int not null default 0, "message_count" int not null default 0, "last_message_id" uuid null, "last_text" varchar(200) null, "last_at" timestamptz null, "last_from_me" boolean not null default false, "last_status" varchar(16) null, "last_has_image" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "chats_device_id_last_at_index" on "chats" ("device_id", "last_at", "id");`);
    this.addSql(`create index "chats_unread_index" on "chats" ("user_id", "device_id") where unread > 0;`);
    this.addSql(`alter table "chats" add constraint "chats_device_id_phone_unique" unique ("device_id", "phone");`);
    this.addSql(`alter table "chats" add constraint "chats_device_id_lid_unique" unique ("device_id", "lid");`);

    this.addSql(`create table "chat_messages" ("id" uuid not null, "user_id" uuid not null, "device_id" uuid not null, "chat_id" uuid not null, "wa_message_id" varchar(128) not null, "from_me" boolean not null, "origin" varchar(16) null, "outbox_id" uuid null, "text" text not null, "media_id" uuid null, "media_error" varchar(200) null, "remote_jid" varchar(100) null, "status" varchar(16) not null, "error" varchar(500) null, "receipt_due" boolean not null default false, "at" timestamptz not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "chat_messages_chat_id_at_index" on "chat_messages" ("chat_id", "at", "id");`);
    this.addSql(`create index "chat_messages_media_id_index" on "chat_messages" ("media_id") where media_id is not null;`);
    this.addSql(`create index "chat_messages_receipt_due_index" on "chat_messages" ("device_id") where receipt_due;`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_device_id_wa_message_id_unique" unique ("device_id", "wa_message_id");`);

    this.addSql(`alter table "users" add "read_receipts" boolean not null default true;`);

    this.addSql(`alter table "media" add "origin" varchar(16) not null default 'upload';`);

    this.addSql(`create index "messages_urgent_index" on "messages" ("device_id", "not_before", "id") where status = 'pending' and source = 'inbox';`);

    this.addSql(`alter table "chats" add constraint "chats_device_id_foreign" foreign key ("device_id") references "devices" ("id") on delete cascade;`);

    this.addSql(`alter table "chat_messages" add constraint "chat_messages_device_id_foreign" foreign key ("device_id") references "devices" ("id") on delete cascade;`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_chat_id_foreign" foreign key ("chat_id") references "chats" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "chat_messages" drop constraint "chat_messages_chat_id_foreign";`);

    this.addSql(`drop table if exists "chats" cascade;`);
    this.addSql(`drop table if exists "chat_messages" cascade;`);

    this.addSql(`alter table "media" drop column "origin";`);

    this.addSql(`drop index "messages_urgent_index";`);

    this.addSql(`alter table "users" drop column "read_receipts";`);
  }

}
