import { Migration } from '@mikro-orm/migrations';

/** What keeps a sequence tick's cost flat as enrolments grow: leads changed lately, and steps queued a while ago. */
export class Migration20261205181520_SequenceTickIndexes extends Migration {

  override name = 'Migration20261205181520_SequenceTickIndexes';

  override up(): void | Promise<void> {
    this.addSql(`create index "leads_updated_at_index" on "leads" ("updated_at");`);

    this.addSql(`create index "sequence_enrolments_waiting_index" on "sequence_enrolments" ("updated_at") where status = 'waiting';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "leads_updated_at_index";`);

    this.addSql(`drop index "sequence_enrolments_waiting_index";`);
  }

}
