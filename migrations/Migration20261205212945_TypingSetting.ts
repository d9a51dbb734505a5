import { Migration } from '@mikro-orm/migrations';

/** The tenant's choice whether its numbers show "typing…" before each message (on by default). */
export class Migration20261205212945_TypingSetting extends Migration {

  override name = 'Migration20261205212945_TypingSetting';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "typing" boolean not null default true;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "typing";`);
  }

}
