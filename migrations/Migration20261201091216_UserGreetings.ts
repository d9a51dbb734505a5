import { Migration } from '@mikro-orm/migrations';

export class Migration20261201091216_UserGreetings extends Migration {

  override name = 'Migration20261201091216_UserGreetings';

  override up(): void | Promise<void> {
    this.addSql(`alter table "users" add "greetings" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "users" drop column "greetings";`);
  }

}
