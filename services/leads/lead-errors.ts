import { Errors } from 'moleculer';
import type { FieldProblem } from './lead-input.ts';

/** The problems `checkLead` found, as the 400 every form shows beside its fields (`rename`: a field's name in the request). */
export function fieldErrors(problems: FieldProblem[], rename: Record<string, string> = {}) {
	return new Errors.ValidationError('Some fields are not valid.', 'VALIDATION_ERROR', problems.map(p => ({ field: rename[p.field] ?? p.field, message: p.message, type: p.field })));
}
