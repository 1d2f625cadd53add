import { jsonDepth, MAX_JSON_DEPTH } from '../../src/json/depth';
import { examplesOf } from '../support/webhooks';

const depthOf = (text: string, limit?: number) => jsonDepth(Buffer.from(text), limit);

describe('jsonDepth: one linear pass, no parsing, no recursion', () => {
  it('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    expect(depthOf('1')).toBe(0);
    expect(depthOf('{}')).toBe(1);
    expect(depthOf('{"a":[{"b":[]}]}')).toBe(4);
    expect(depthOf('{"a":"[[[[{{{{"}')).toBe(1);
    expect(depthOf('{"a":"\\"[[[[","b":[1]}')).toBe(2);
    expect(depthOf('["\\\\",[[]]]')).toBe(3);
  });

  it('stops as soon as the limit is passed, however deep the body goes', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    expect(depthOf(deep)).toBe(MAX_JSON_DEPTH + 1);
    expect(depthOf(deep, 10)).toBe(11);
  });

  it('real GitHub payloads are far below the limit', () => {
    for (const event of [
      'workflow_job',
      'workflow_run',
      'pull_request',
      'check_suite',
      'deployment_status',
      'push',
    ]) {
      for (const payload of examplesOf(event)) expect(depthOf(JSON.stringify(payload))).toBeLessThan(16);
    }
  });
});
