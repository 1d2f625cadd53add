import {
  buildRecord,
  compareStanding,
  isBetter,
  recordId,
  recordPath,
  type Standing,
  safeSegment,
  serializeRecord,
} from '../../src/pipeline/record';
import type { SignedEvent } from '../../src/pipeline/types';
import { durationMs, toUtcIso } from '../../src/time';
import { COLLECTOR_VERSION } from '../../src/version';

const event: SignedEvent = {
  trigger: 'github::workflow_job.completed',
  source: 'github',
  event: 'workflow_job',
  action: 'completed',
  deliveryId: 'abc',
  receivedAt: '2026-11-01T12:00:00.000Z',
  collectedBy: 'webhook',
  payload: {},
};

describe('record envelope', () => {
  it('derives the id from the metric and the natural key only', () => {
    const id = recordId('workflow-job', '289782451:1');
    expect(id).toMatch(/^workflow-job-[0-9a-f]{24}$/);
    expect(recordId('workflow-job', '289782451:1')).toBe(id);
    expect(recordId('workflow-job', '289782451:2')).not.toBe(id);
    expect(recordId('check-suite', '289782451:1')).not.toBe(id.replace('workflow-job', 'check-suite'));
  });

  it('builds the envelope of docs/DATA.md; errors make it partial', () => {
    const draft = {
      naturalKey: 'k',
      owner: 'o',
      repo: 'r',
      occurredAt: '2021-08-05T10:38:16Z',
      output: { a: 1 },
    };
    const record = buildRecord('workflow-job', event, draft, '2026-11-01T12:00:01.000Z');
    expect(record).toEqual({
      id: recordId('workflow-job', 'k'),
      schema_version: 1,
      metric: 'workflow-job',
      trigger: 'github::workflow_job.completed',
      collected_by: 'webhook',
      delivery_id: 'abc',
      owner: 'o',
      repo: 'r',
      occurred_at: '2021-08-05T10:38:16.000Z',
      received_at: '2026-11-01T12:00:00.000Z',
      collected_at: '2026-11-01T12:00:01.000Z',
      status: 'complete',
      errors: [],
      collector_version: COLLECTOR_VERSION,
      output: { a: 1 },
    });
    const partial = buildRecord(
      'x',
      event,
      { ...draft, errors: [{ call: 'GET /x', message: 'boom' }] },
      'now',
    );
    expect(partial.status).toBe('partial');
  });

  it('places a record index entry by metric, the UTC day, hour and minute of occurred_at', () => {
    const path = recordPath({
      id: 'workflow-job-3fa9c0de',
      metric: 'workflow-job',
      occurred_at: '2021-12-31T23:37:59-02:00',
    });
    expect(path).toBe('hot/workflow-job/2022/01/01/01/37/workflow-job-3fa9c0de.idx');
    // A retraction is a whole record under tombstones/, not an index entry.
    expect(
      recordPath({
        id: 'workflow-job-3fa9c0de',
        metric: 'workflow-job',
        occurred_at: '2021-12-31T23:37:59-02:00',
        status: 'retracted',
      }),
    ).toMatch(/^tombstones\/.*workflow-job-3fa9c0de\.json$/);
  });

  it('never lets a name climb out of its folder', () => {
    for (const evil of ['..', '.', '../../etc', 'a/b', '.hidden', '', 'x\0y']) {
      const segment = safeSegment(evil);
      expect(segment).not.toMatch(/[/\\\0]/);
      expect(segment.startsWith('.')).toBe(false);
      expect(segment.length).toBeGreaterThan(0);
    }
    expect(safeSegment('Hello-World.js_2')).toBe('Hello-World.js_2');
  });

  it('"better record wins": only complete replaces partial', () => {
    expect(isBetter({ status: 'complete' }, { status: 'partial' })).toBe(true);
    expect(isBetter({ status: 'complete' }, { status: 'complete' })).toBe(false);
    expect(isBetter({ status: 'partial' }, { status: 'complete' })).toBe(false);
    expect(isBetter({ status: 'partial' }, { status: 'partial' })).toBe(false);
  });

  it('retracted beats every other version, and nothing beats a retraction', () => {
    for (const existing of [
      { status: 'complete' as const },
      { status: 'partial' as const },
      { status: 'complete' as const, revision: '9999' },
    ]) {
      expect(isBetter({ status: 'retracted' }, existing)).toBe(true);
      expect(isBetter(existing, { status: 'retracted' })).toBe(false);
    }
    expect(isBetter({ status: 'retracted' }, { status: 'retracted' })).toBe(false);
  });

  it('a higher revision wins, unless it would replace a complete record by a partial one', () => {
    expect(isBetter({ status: 'complete', revision: 'b' }, { status: 'complete', revision: 'a' })).toBe(true);
    expect(isBetter({ status: 'complete', revision: 'a' }, { status: 'complete', revision: 'b' })).toBe(
      false,
    );
    expect(isBetter({ status: 'complete', revision: 'a' }, { status: 'complete' })).toBe(true);
    expect(isBetter({ status: 'partial', revision: 'b' }, { status: 'complete', revision: 'a' })).toBe(false);
    expect(isBetter({ status: 'complete', revision: 'a' }, { status: 'partial', revision: 'a' })).toBe(true);
    expect(isBetter({ status: 'complete', revision: 'a' }, { status: 'complete', revision: 'a' })).toBe(
      false,
    );
  });

  it('compareStanding is a total order that extends isBetter', () => {
    const standings: Standing[] = [];
    for (const status of ['partial', 'complete', 'retracted'] as const)
      for (const revision of [undefined, 'a', 'b'])
        standings.push(revision === undefined ? { status } : { status, revision });
    const sign = (n: number) => Math.sign(n);
    for (const a of standings) {
      expect(compareStanding(a, a)).toBe(0);
      for (const b of standings) {
        if (isBetter(a, b)) expect(compareStanding(a, b)).toBeGreaterThan(0);
        // Antisymmetric, and 0 only for the same standing.
        expect(sign(compareStanding(a, b)) + sign(compareStanding(b, a))).toBe(0);
        if (a !== b) expect(compareStanding(a, b)).not.toBe(0);
        for (const c of standings) {
          if (compareStanding(a, b) > 0 && compareStanding(b, c) > 0)
            expect(compareStanding(a, c)).toBeGreaterThan(0);
          if (compareStanding(a, b) >= 0 && compareStanding(b, c) >= 0)
            expect(compareStanding(a, c)).toBeGreaterThanOrEqual(0);
        }
      }
    }
    // The pair isBetter leaves unordered: the complete one ranks higher.
    expect(compareStanding({ status: 'complete', revision: 'a' }, { status: 'partial', revision: 'b' })).toBe(
      1,
    );
    expect(compareStanding({ status: 'partial', revision: 'b' }, { status: 'complete', revision: 'a' })).toBe(
      -1,
    );
  });

  it('normalises times and computes durations', () => {
    expect(toUtcIso('2021-08-05T12:34:58+02:00')).toBe('2021-08-05T10:34:58.000Z');
    expect(() => toUtcIso('yesterday')).toThrow('not an ISO-8601 time');
    expect(durationMs('2021-08-05T10:34:58Z', '2021-08-05T10:38:16Z')).toBe(198_000);
    expect(durationMs(null, '2021-08-05T10:38:16Z')).toBeNull();
  });
});

describe('serializeRecord', () => {
  it('writes compact JSON on one line with a trailing newline, and reads back to the same record', () => {
    const record = buildRecord(
      'workflow-job',
      {
        trigger: 'github::workflow_job.completed',
        source: 'github',
        event: 'workflow_job',
        action: 'completed',
        deliveryId: 'd-1',
        receivedAt: '2026-11-02T09:00:00.000Z',
        collectedBy: 'webhook',
        payload: {},
      },
      {
        naturalKey: '1:1',
        owner: 'acme',
        repo: 'api',
        occurredAt: '2026-11-02T08:59:00Z',
        output: {
          name: 'build "x"\nline',
          steps: { list: [{ name: 'a', conclusion: 'success' }] },
          big: '18446744073709551615',
        },
      },
      '2026-11-02T09:00:01.000Z',
    );
    const text = serializeRecord(record);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.slice(0, -1)).not.toMatch(/\n/);
    expect(text).not.toMatch(/": /);
    expect(JSON.parse(text)).toEqual(record);
    // The same record always gives the same bytes (its blob id decides "unchanged" in the data repository).
    expect(serializeRecord(JSON.parse(text))).toBe(text);
    expect(text.length).toBeLessThan(`${JSON.stringify(record, null, 2)}\n`.length);
  });
});
