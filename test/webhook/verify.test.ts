import { createHmac } from 'node:crypto';
import { signGitHubBody, verifyGitHubSignature } from '../../src/webhook/verify';
import { example, signedDelivery } from '../support/webhooks';

describe('verifyGitHubSignature', () => {
  const payload = example('workflow_job', 'completed');

  it('accepts a body signed by @octokit/webhooks-methods with the configured secret', async () => {
    const delivery = await signedDelivery('workflow_job', payload, 'current');
    expect(
      await verifyGitHubSignature(Buffer.from(delivery.body), delivery.headers['x-hub-signature-256'], [
        'current',
      ]),
    ).toBe(true);
  });

  it('accepts any of several secrets (rotation) and refuses a secret no longer configured', async () => {
    const delivery = await signedDelivery('workflow_job', payload, 'old');
    const signature = delivery.headers['x-hub-signature-256'];
    expect(await verifyGitHubSignature(Buffer.from(delivery.body), signature, ['new', 'old'])).toBe(true);
    expect(await verifyGitHubSignature(Buffer.from(delivery.body), signature, ['new'])).toBe(false);
  });

  it('refuses a missing, truncated, other-algorithm or tampered signature', async () => {
    const body = Buffer.from(JSON.stringify(payload));
    const good = await signGitHubBody('s', body.toString());
    const sha1 = `sha1=${createHmac('sha1', 's').update(body).digest('hex')}`;
    for (const header of [
      undefined,
      '',
      good.slice(0, -2),
      sha1,
      good.replace('sha256=', 'sha512='),
      `${good}00`,
    ]) {
      expect(await verifyGitHubSignature(body, header, ['s'])).toBe(false);
    }
    expect(await verifyGitHubSignature(Buffer.from(`${body} `), good, ['s'])).toBe(false);
    expect(await verifyGitHubSignature(body, good, [])).toBe(false);
  });

  it('produces the HMAC GitHub documents (sha256= + hex of the raw body)', async () => {
    const body = '{"zen":"Design for failure."}';
    expect(await signGitHubBody("It's a Secret to Everybody", body)).toBe(
      `sha256=${createHmac('sha256', "It's a Secret to Everybody").update(body).digest('hex')}`,
    );
  });
});
