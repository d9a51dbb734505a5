import { describe, expect, it } from 'vitest';
import { leadExportUrl, leadQuery } from '../../../web/src/lib/api/leads.ts';

describe('the Leads page asks the server for the filters on screen', () => {
	it('sends only the filters that are set, and paging', () => {
		expect(leadQuery({})).toBe('');
		expect(leadQuery({ device: undefined, niche: '', q: undefined })).toBe('');
		expect(leadQuery({ niche: 'Property' }, { page: 2, pageSize: 50 })).toBe('?niche=Property&page=2&pageSize=50');
	});

	it('keeps "not opted out" as a filter of its own, not as no filter', () => {
		expect(leadQuery({ optedOut: false })).toBe('?optedOut=false');
		expect(leadQuery({ optedOut: true })).toBe('?optedOut=true');
	});

	it('encodes what the user typed', () => {
		expect(leadQuery({ q: 'Siti & Co +60' })).toBe('?q=Siti+%26+Co+%2B60');
	});

	it('exports with the same filters and no paging', () => {
		expect(leadExportUrl({ device: 'b3c1', targetStatus: 'customer' })).toBe('/api/leads/export?device=b3c1&targetStatus=customer');
		expect(leadExportUrl({})).toBe('/api/leads/export');
	});
});
