/** Facts the sequences service broadcasts. Each carries `userId`: it is delivered to that user only. */
import { browserEventNames } from '../shared/browser-events.ts';
import type { SequenceDto, SequenceReport } from './sequences.params.ts';

/** Created, edited, paused or resumed: the whole new record. */
export const SEQUENCE_UPDATED = 'sequence.updated';
export interface SequenceUpdated {
	userId: string;
	sequence: SequenceDto;
}

export const SEQUENCE_DELETED = 'sequence.deleted';
export interface SequenceDeleted {
	userId: string;
	sequenceId: string;
}

/** A sequence's report after its enrolments moved; at most about once a second per sequence. */
export const SEQUENCE_PROGRESS = 'sequence.progress';
export interface SequenceProgress {
	userId: string;
	sequenceId: string;
	report: SequenceReport;
}

/** The sequences events the owner's browser tabs receive, with their payloads. */
export interface SequenceBrowserEvents {
	[SEQUENCE_UPDATED]: SequenceUpdated;
	[SEQUENCE_DELETED]: SequenceDeleted;
	[SEQUENCE_PROGRESS]: SequenceProgress;
}
export const SEQUENCE_BROWSER_EVENTS = browserEventNames<SequenceBrowserEvents>({ [SEQUENCE_UPDATED]: true, [SEQUENCE_DELETED]: true, [SEQUENCE_PROGRESS]: true });
