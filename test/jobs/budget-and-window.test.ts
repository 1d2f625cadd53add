import { RateBudget } from '../../src/jobs/budget';
import { nextLink } from '../../src/jobs/listing';
import { isoSeconds, parseTimeSpec } from '../../src/jobs/window';

describe('time specs', () => {
  const now = new Date('2026-11-20T12:00:00Z');
  it('reads ages and ISO times', () => {
    expect(parseTimeSpec('90d', now).toISOString()).toBe('2026-08-22T12:00:00.000Z');
    expect(parseTimeSpec('24h', now).toISOString()).toBe('2026-11-19T12:00:00.000Z');
    expect(parseTimeSpec('2w', now).toISOString()).toBe('2026-11-06T12:00:00.000Z');
    expect(parseTimeSpec('30m', now).toISOString()).toBe('2026-11-20T11:30:00.000Z');
    expect(parseTimeSpec('2026-08-01', now).toISOString()).toBe('2026-08-01T00:00:00.000Z');
    expect(() => parseTimeSpec('yesterday', now)).toThrow(/neither an age .* nor an ISO-8601 time/);
    expect(isoSeconds(Date.parse('2026-11-20T12:00:00.987Z'))).toBe('2026-11-20T12:00:00Z');
  });
});

describe('RateBudget', () => {
  it('keeps the unshared part of the hourly limit for others and stops before it', () => {
    const budget = new RateBudget(0.5, 25, () => 0);
    expect(budget.left).toBeNull();
    budget.observe({
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4000',
      'x-ratelimit-reset': '3600',
    });
    expect(budget.left).toBe(4000 - 2500 - 25);
    budget.observe({
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '2525',
      'x-ratelimit-reset': '3600',
    });
    expect(budget.exhausted).toBe(true);
    expect(budget.requests).toBe(2);
  });

  it('forgets a spent window once it has reset', () => {
    let now = 0;
    const budget = new RateBudget(1, 25, () => now);
    budget.observe({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '10', 'x-ratelimit-reset': '3600' });
    expect(budget.exhausted).toBe(true);
    now = 3_600_000;
    expect(budget.exhausted).toBe(false);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => new RateBudget(0)).toThrow(/share/);
    expect(() => new RateBudget(1.5)).toThrow(/share/);
  });
});

describe('Link header', () => {
  it('finds the next page by page number or by cursor', () => {
    expect(
      nextLink(
        '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"',
      ),
    ).toBe('https://api.github.com/x?page=2');
    expect(nextLink('<https://api.github.com/h?per_page=100&cursor=v1_123>; rel="next"')).toBe(
      'https://api.github.com/h?per_page=100&cursor=v1_123',
    );
    expect(nextLink('<https://api.github.com/x?page=1>; rel="prev"')).toBeNull();
    expect(nextLink(undefined)).toBeNull();
  });
});
