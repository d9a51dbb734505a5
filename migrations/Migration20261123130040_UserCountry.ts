import { Migration } from '@mikro-orm/migrations';

export class Migration20261123130040_UserCountry extends Migration {

  override name = 'Migration20261123130040_UserCountry';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "country" varchar(2) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "country";`);
  }

}
