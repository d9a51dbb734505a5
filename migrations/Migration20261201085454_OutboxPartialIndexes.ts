import { Migration } from '@mikro-orm/migrations';

export class Migration20261201085454_OutboxPartialIndexes extends Migration {

  override name = 'Migration20261201085454_OutboxPartialIndexes';

  override up(): void | Promise<void> {
    this.addSql(`alter table "messages" drop constraint "messages_user_id_foreign";`);

    this.addSql(`drop index "messages_campaign_id_status_index";`);
    this.addSql(`drop index "messages_device_id_sent_at_index";`);
    this.addSql(`drop index "messages_device_id_status_not_before_index";`);
    this.addSql(`drop index "messages_user_id_index";`);
    this.addSql(`create index "messages_pending_index" on "messages" ("device_id", "not_before", "id") where status = 'pending';`);
    this.addSql(`create index "messages_pending_expiry_index" on "messages" ("expires_at") where status = 'pending' and expires_at is not null;`);
    this.addSql(`create index "messages_sending_index" on "messages" ("device_id") where status = 'sending';`);
    this.addSql(`create index "messages_sent_index" on "messages" ("device_id", "sent_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "messages_pending_index";`);
    this.addSql(`drop index "messages_pending_expiry_index";`);
    this.addSql(`drop index "messages_sending_index";`);
    this.addSql(`drop index "messages_sent_index";`);
    this.addSql(`alter table "messages" add constraint "messages_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`create index "messages_campaign_id_status_index" on "messages" ("campaign_id", "status");`);
    this.addSql(`create index "messages_device_id_sent_at_index" on "messages" ("device_id", "sent_at");`);
    this.addSql(`create index "messages_device_id_status_not_before_index" on "messages" ("device_id", "status", "not_before");`);
    this.addSql(`create index "messages_user_id_index" on "messages" ("user_id");`);
  }

}
