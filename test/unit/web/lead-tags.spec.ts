import { describe, expect, it } from 'vitest';
import { formatTags, parseTags } from '../../../web/src/lib/lead-tags.ts';

describe('the lead form reads niches and triggers from one box', () => {
	it('splits on commas and semicolons, trims, and drops empty parts', () => {
		expect(parseTags(' Property; Loans ,Cars,, ;', { ignoreCase: true })).toEqual(['Property', 'Loans', 'Cars']);
		expect(parseTags('', { ignoreCase: true })).toEqual([]);
		expect(parseTags(' ;, ', { ignoreCase: false })).toEqual([]);
	});

	it('keeps each niche once whatever its case, the first spelling winning', () => {
		expect(parseTags('Property, property, PROPERTY; Loans', { ignoreCase: true })).toEqual(['Property', 'Loans']);
	});

	it('treats trigger codes that differ in case as different codes', () => {
		expect(parseTags('welcome, Welcome, welcome', { ignoreCase: false })).toEqual(['welcome', 'Welcome']);
	});

	it('shows stored tags so that reading the box again gives them back', () => {
		const tags = ['Property', 'Loans', 'Cars'];
		expect(formatTags(tags)).toBe('Property, Loans, Cars');
		expect(parseTags(formatTags(tags), { ignoreCase: true })).toEqual(tags);
	});
});
