import { Migration20261123082514_Users } from './Migration20261123082514_Users.ts';
import { Migration20261123110355_Devices } from './Migration20261123110355_Devices.ts';
import { Migration20261123112440_FleetNodes } from './Migration20261123112440_FleetNodes.ts';
import { Migration20261123125636_Outbox } from './Migration20261123125636_Outbox.ts';
import { Migration20261123130040_UserCountry } from './Migration20261123130040_UserCountry.ts';
import { Migration20261123130255_Leads } from './Migration20261123130255_Leads.ts';
import { Migration20261123130831_Media } from './Migration20261123130831_Media.ts';
import { Migration20261201085454_OutboxPartialIndexes } from './Migration20261201085454_OutboxPartialIndexes.ts';
import { Migration20261201091216_UserGreetings } from './Migration20261201091216_UserGreetings.ts';
import { Migration20261205120259_SourceAgnosticOutbox } from './Migration20261205120259_SourceAgnosticOutbox.ts';
import { Migration20261205162915_Inbox } from './Migration20261205162915_Inbox.ts';
import { Migration20261205175912_Sequences } from './Migration20261205175912_Sequences.ts';
import { Migration20261205181520_SequenceTickIndexes } from './Migration20261205181520_SequenceTickIndexes.ts';
import { Migration20261205194709_SequenceDueBySequence } from './Migration20261205194709_SequenceDueBySequence.ts';
import { Migration20261205201841_AiCampaigns } from './Migration20261205201841_AiCampaigns.ts';
import { Migration20261205211509_NumberChecks } from './Migration20261205211509_NumberChecks.ts';
import { Migration20261205212945_TypingSetting } from './Migration20261205212945_TypingSetting.ts';

/** Migrations in the order they apply. `npm run migration:create -- <name>` writes a new file; add it here. */
export const migrationsList = [
	{ name: 'Migration20261123082514_Users', class: Migration20261123082514_Users },
	{ name: 'Migration20261123110355_Devices', class: Migration20261123110355_Devices },
	{ name: 'Migration20261123112440_FleetNodes', class: Migration20261123112440_FleetNodes },
	{ name: 'Migration20261123125636_Outbox', class: Migration20261123125636_Outbox },
	{ name: 'Migration20261123130040_UserCountry', class: Migration20261123130040_UserCountry },
	{ name: 'Migration20261123130255_Leads', class: Migration20261123130255_Leads },
	{ name: 'Migration20261123130831_Media', class: Migration20261123130831_Media },
	{ name: 'Migration20261201085454_OutboxPartialIndexes', class: Migration20261201085454_OutboxPartialIndexes },
	{ name: 'Migration20261201091216_UserGreetings', class: Migration20261201091216_UserGreetings },
	{ name: 'Migration20261205120259_SourceAgnosticOutbox', class: Migration20261205120259_SourceAgnosticOutbox },
	{ name: 'Migration20261205162915_Inbox', class: Migration20261205162915_Inbox },
	{ name: 'Migration20261205175912_Sequences', class: Migration20261205175912_Sequences },
	{ name: 'Migration20261205181520_SequenceTickIndexes', class: Migration20261205181520_SequenceTickIndexes },
	{ name: 'Migration20261205194709_SequenceDueBySequence', class: Migration20261205194709_SequenceDueBySequence },
	{ name: 'Migration20261205201841_AiCampaigns', class: Migration20261205201841_AiCampaigns },
	{ name: 'Migration20261205211509_NumberChecks', class: Migration20261205211509_NumberChecks },
	{ name: 'Migration20261205212945_TypingSetting', class: Migration20261205212945_TypingSetting },
];
