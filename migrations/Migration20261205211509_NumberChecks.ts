import { Migration } from '@mikro-orm/migrations';

/** Whether numbers are on WhatsApp, as learned at first sends, so a number is looked up at most once a week. */
export class Migration20261205211509_NumberChecks extends Migration {

  override name = 'Migration20261205211509_NumberChecks';

  override up(): void | Promise<void> {
    this.addSql(`create table "whatsapp_numbers" ("phone" varchar(20) not null, "on_whatsapp" boolean not null, "jid" varchar(80) null, "checked_at" timestamptz not null, primary key ("phone"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "whatsapp_numbers" cascade;`);
  }

}
