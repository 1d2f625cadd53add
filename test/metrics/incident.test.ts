import { type IncidentOutput, linkedReferences, severityOf } from '../../src/metrics/incident';
import { expectDocumentedExample } from '../support/metrics-doc';
import { example, signedEventFrom } from '../support/webhooks';
import { collectRecords } from './collect';

type Issue = Record<string, unknown> & { labels: { name: string }[]; body: string | null };
type IssuesPayload = Record<string, unknown> & { action: string; issue: Issue; label?: { name: string } };

const label = (name: string) => ({ ...(example('issues', 'labeled') as IssuesPayload).label!, name });

/** The real `labeled` example, where the label added is `incident` (plus a severity label). */
function labelledIncident(): IssuesPayload {
  const payload = example('issues', 'labeled') as IssuesPayload;
  payload.label = label('incident');
  payload.issue.labels = [label('incident'), label('sev2')];
  payload.issue.body =
    'Checkout fails since deployment 145988746 (commit f95f852bd8fca8fcc58a9a2d6c842781e32a215e).';
  return payload;
}

/** The same issue, closed 3 h 15 min after it was opened. */
function closedIncident(): IssuesPayload {
  const payload = labelledIncident();
  payload.action = 'closed';
  delete payload.label;
  payload.issue.state = 'closed';
  payload.issue.closed_at = '2019-05-15T18:35:18Z';
  return payload;
}

const collect = (payload: IssuesPayload, settings = {}) =>
  collectRecords<IncidentOutput>(signedEventFrom('issues', payload), 'incident', { settings });

describe('incident', () => {
  it('records an issue labelled as an incident, with severity and links', async () => {
    const [record] = await collect(labelledIncident());
    expect(record?.trigger).toBe('github::issues.labeled');
    expect(record?.output).toMatchObject({
      issue_id: '444500041',
      number: 1,
      event: 'opened',
      labels: ['incident', 'sev2'],
      severity: 'sev2',
      opened_at: '2019-05-15T15:20:18.000Z',
      closed_at: null,
      time_to_restore_ms: null,
      linked_sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
      linked_deployment_id: '145988746',
    });
    expect(record?.occurred_at).toBe('2019-05-15T15:20:18.000Z');
  });

  it('records the close with the time to restore', async () => {
    const [opened] = await collect(labelledIncident());
    const [closed] = await collect(closedIncident());
    expect(closed?.output).toMatchObject({
      event: 'closed',
      closed_at: '2019-05-15T18:35:18.000Z',
      time_to_restore_ms: (3 * 60 + 15) * 60_000,
    });
    expect(closed?.occurred_at).toBe('2019-05-15T18:35:18.000Z');
    expect(closed?.id).not.toBe(opened?.id);
    expectDocumentedExample(closed!);
  });

  it('records an issue opened with an incident label; ignores issues and labels that are not incidents', async () => {
    const opened = example('issues', 'opened') as IssuesPayload;
    expect(await collect(opened)).toEqual([]); // labelled "bug" only
    opened.issue.labels.push(label('Incident'));
    const [record] = await collect(opened);
    expect(record?.output.event).toBe('opened');
    // Adding another label to an incident records nothing new.
    const other = labelledIncident();
    other.label = label('bug');
    expect(await collect(other)).toEqual([]);
  });

  it('records both halves when the label is added after the issue was closed', async () => {
    const payload = closedIncident();
    payload.action = 'labeled';
    payload.label = label('incident');
    const records = await collect(payload);
    expect(records.map((r) => r.output.event)).toEqual(['opened', 'closed']);
    expect(records[1]?.output.time_to_restore_ms).toBe((3 * 60 + 15) * 60_000);
  });

  it('uses the configured labels', async () => {
    const payload = labelledIncident();
    payload.label = label('outage');
    payload.issue.labels = [label('outage')];
    expect(await collect(payload)).toEqual([]);
    expect(await collect(payload, { incidentLabels: ['outage'] })).toHaveLength(1);
  });
});

describe('best-effort links and severity', () => {
  it.each([
    ['Broken by https://github.com/o/r/commit/abc1234def', 'abc1234def', null],
    ['after deploying sha 1234567 to prod', '1234567', null],
    ['regression in a1b2c3d, see /o/r/deployments/42', 'a1b2c3d', '42'],
    ['Deployment #1001 broke login', null, '1001'],
    ['deadbeef cafe 1234567 words', null, null],
    ['nothing here', null, null],
  ])('%s', (text, sha, deployment) => {
    expect(linkedReferences(text)).toEqual({ sha, deploymentId: deployment });
  });

  it.each([
    [['severity:high'], 'high'],
    [['Severity/Critical'], 'critical'],
    [['SEV-1'], 'sev1'],
    [['bug', 'sev 3'], 'sev3'],
    [['bug'], null],
  ])('%j → %s', (labels, severity) => {
    expect(severityOf(labels)).toBe(severity);
  });
});
