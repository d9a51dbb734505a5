import { describe, expect, it } from 'vitest';
import { numberPlaceholders } from '../../../mixins/orm/database.ts';

describe('raw SQL placeholders become numbered bind parameters', () => {
	it('numbers each ? in order', () => {
		expect(numberPlaceholders('select * from t where a = ? and b in (?, ?) limit ?')).toBe('select * from t where a = $1 and b in ($2, $3) limit $4');
	});

	it('leaves a ? inside a string, a quoted name or a comment alone', () => {
		expect(numberPlaceholders(`select format('%I = ?', x), "odd?col" from t -- why?\nwhere a = ?`)).toBe(`select format('%I = ?', x), "odd?col" from t -- why?\nwhere a = $1`);
		expect(numberPlaceholders(`select 'it''s ?' where b = ?`)).toBe(`select 'it''s ?' where b = $1`);
	});
});
