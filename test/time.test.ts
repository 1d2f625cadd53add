import { durationMs, isIsoTime, parseIsoTime, toUtcIso } from '../src/time';

describe('strict ISO-8601 times', () => {
  it.each([
    ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.000Z'],
    ['2026-11-01T12:00Z', '2026-11-01T12:00:00.000Z'],
    ['2026-11-01T13:58:42+01:00', '2026-11-01T12:58:42.000Z'],
    ['2026-11-01T07:28:42.123456-0530', '2026-11-01T12:58:42.123Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
  ])('accepts %s as %s', (input, utc) => {
    expect(toUtcIso(input)).toBe(utc);
    expect(isIsoTime(input)).toBe(true);
  });

  it.each([
    '1',
    '2021',
    '2021-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2021-04-31T00:00:00Z',
    '2021-13-01T00:00:00Z',
    '2021-00-10T00:00:00Z',
    '2021-01-01T24:00:00Z',
    '2021-01-01T23:60:00Z',
    '2021-01-01T23:59:60Z',
    '2021-01-01T00:00:00',
    '2021-01-01',
    '2021-01-01T00:00:00+25:00',
    'Fri, 01 Jan 2021 00:00:00 GMT',
    ' 2021-01-01T00:00:00Z',
  ])('refuses %s (Date.parse would file it somewhere)', (input) => {
    expect(parseIsoTime(input)).toBeUndefined();
    expect(() => toUtcIso(input)).toThrow('not an ISO-8601 time');
  });

  it('durationMs is null when a side is not a strict time', () => {
    expect(durationMs('2026-11-01T12:00:00Z', '2026-11-01T12:00:01.5Z')).toBe(1500);
    expect(durationMs('1', '2026-11-01T12:00:00Z')).toBeNull();
    expect(durationMs('2021-02-30T00:00:00Z', '2021-03-03T00:00:00Z')).toBeNull();
  });
});
