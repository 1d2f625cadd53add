import { draftHistory, stageMs } from '../../src/metrics/closed-pull-request';

const CREATED = '2026-10-01T00:00:00Z';
const CLOSED = '2026-10-10T00:00:00Z';
const HOUR = 3_600_000;

describe('draftHistory: draft periods from ready_for_review / convert_to_draft', () => {
  test('never a draft', () => {
    expect(draftHistory([], CREATED, CLOSED, false)).toEqual({
      opened_as_draft: false,
      review_open_at: '2026-10-01T00:00:00.000Z',
      ready_at: null,
      time_in_draft_ms: 0,
    });
  });

  test('opened ready, sent back to draft, ready again: only the middle period counts', () => {
    const history = draftHistory(
      [
        { type: 'convert_to_draft', at: '2026-10-02T00:00:00Z' },
        { type: 'ready_for_review', at: '2026-10-02T05:00:00Z' },
      ],
      CREATED,
      CLOSED,
      false,
    );
    expect(history).toEqual({
      opened_as_draft: false,
      review_open_at: '2026-10-01T00:00:00.000Z',
      ready_at: '2026-10-02T05:00:00.000Z',
      time_in_draft_ms: 5 * HOUR,
    });
  });

  test('opened as a draft, ready, back to draft until closing', () => {
    const history = draftHistory(
      [
        { type: 'ready_for_review', at: '2026-10-01T02:00:00Z' },
        { type: 'convert_to_draft', at: '2026-10-09T00:00:00Z' },
      ],
      CREATED,
      CLOSED,
      true,
    );
    expect(history).toEqual({
      opened_as_draft: true,
      review_open_at: '2026-10-01T02:00:00.000Z',
      ready_at: '2026-10-01T02:00:00.000Z',
      time_in_draft_ms: 2 * HOUR + 24 * HOUR,
    });
  });

  test('stages are never negative and null when an end is missing', () => {
    expect(stageMs('2026-10-02T00:00:00Z', '2026-10-01T00:00:00Z')).toBe(0);
    expect(stageMs(null, '2026-10-01T00:00:00Z')).toBeNull();
    expect(stageMs(CREATED, CLOSED)).toBe(9 * 24 * HOUR);
  });
});
