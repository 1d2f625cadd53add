import { createHmac } from 'node:crypto';
import {
  cachedSenderSecrets,
  parseSenderSecrets,
  sendersFromValues,
  staticSenderSecrets,
} from '../../src/push/secrets';
import { pushHeaders, signPush, verifyPushSignature } from '../../src/push/signature';

describe('TELEMETRY_SENDER_SECRETS', () => {
  it('parses name=secret pairs, two secrets per sender for rotation, "=" inside a secret', () => {
    const senders = parseSenderSecrets(' jenkins=s1 , gitlab=old,gitlab=new,argo=a=b==,, ');
    expect([...senders]).toEqual([
      ['jenkins', ['s1']],
      ['gitlab', ['old', 'new']],
      ['argo', ['a=b==']],
    ]);
    expect(parseSenderSecrets(undefined).size).toBe(0);
    expect(parseSenderSecrets('').size).toBe(0);
  });

  it('refuses malformed entries naming the entry and sender, never the secret', () => {
    expect(() => parseSenderSecrets('jenkins=ok,topsecretwithoutname')).toThrow(
      'TELEMETRY_SENDER_SECRETS entry 2 must be name=secret',
    );
    expect(() => parseSenderSecrets('bad name=hunter2')).toThrow('entry 1');
    expect(() => parseSenderSecrets('bad name=hunter2')).not.toThrow(/hunter2/);
    expect(() => parseSenderSecrets('jenkins=')).toThrow('sender jenkins has an empty secret');
  });

  it('answers [] for unknown senders, including prototype keys', async () => {
    const provider = staticSenderSecrets(parseSenderSecrets('jenkins=s1'));
    expect(await provider('jenkins')).toEqual(['s1']);
    for (const name of ['circleci', '__proto__', 'constructor', 'toString'])
      expect(await provider(name)).toEqual([]);
  });
});

describe('push signatures', () => {
  const body = Buffer.from('{"id":"déploiement-1"}');

  const fields = { timestamp: '1793534400', sender: 'jenkins', kind: 'deployment' };

  it('are sha256= + hex HMAC-SHA256 of "<timestamp>.<sender>.<kind>.<raw body>" (v2)', () => {
    const expected = createHmac('sha256', 'k')
      .update(`1793534400.jenkins.deployment.${body.toString('utf8')}`)
      .digest('hex');
    expect(signPush('k', fields, body)).toBe(`sha256=${expected}`);
    expect(pushHeaders('deployment', 'jenkins', 'k', body, '1793534400')).toEqual({
      'content-type': 'application/json',
      'x-telemetry-event': 'deployment',
      'x-telemetry-sender': 'jenkins',
      'x-telemetry-timestamp': '1793534400',
      'x-telemetry-signature-256': `sha256=${expected}`,
    });
  });

  it('verify against any of the secrets, and refuse other timestamps, senders, kinds, bodies, formats and lengths', () => {
    const good = signPush('new', fields, body);
    expect(verifyPushSignature(['old', 'new'], fields, body, good)).toBe(true);
    expect(
      verifyPushSignature(['old', 'new'], fields, body, good.toUpperCase().replace('SHA256=', 'sha256=')),
    ).toBe(true);
    expect(verifyPushSignature(['old'], fields, body, good)).toBe(false);
    expect(verifyPushSignature([], fields, body, good)).toBe(false);
    expect(verifyPushSignature([''], fields, body, good)).toBe(false);
    expect(verifyPushSignature(['new'], { ...fields, timestamp: '1793534401' }, body, good)).toBe(false);
    expect(verifyPushSignature(['new'], { ...fields, sender: 'gitlab' }, body, good)).toBe(false);
    expect(verifyPushSignature(['new'], { ...fields, kind: 'incident' }, body, good)).toBe(false);
    expect(verifyPushSignature(['new'], fields, Buffer.concat([body, Buffer.from(' ')]), good)).toBe(false);
    for (const bad of [
      undefined,
      '',
      good.slice(0, -1),
      `${good}0`,
      good.replace('sha256=', ''),
      `sha1=${'0'.repeat(40)}`,
      `sha256=${'0'.repeat(64)}`,
    ]) {
      expect(verifyPushSignature(['new'], fields, body, bad)).toBe(false);
    }
  });
});

describe('sender secrets from a secret store (AWS: SSM parameters per sender)', () => {
  it('reads one or two comma-separated secrets per parameter and skips names that are no sender names', () => {
    expect([
      ...sendersFromValues({ jenkins: 's1', gitlab: 'old, new', 'bad name': 'x', argo: ' , ' }),
    ]).toEqual([
      ['jenkins', ['s1']],
      ['gitlab', ['old', 'new']],
    ]);
  });

  it('loads all senders once per TTL, shares a load between concurrent requests, and retries a failed load', async () => {
    let clock = 0;
    let loads = 0;
    let fail = false;
    const provider = cachedSenderSecrets(
      async () => {
        loads += 1;
        if (fail) throw new Error('ThrottlingException');
        return new Map([['jenkins', [`secret-${loads}`]]]);
      },
      { ttlMs: 1000, now: () => clock },
    );
    const names = ['jenkins', 'random-1', 'random-2', '__proto__', 'jenkins'];
    expect(await Promise.all(names.map((n) => provider(n)))).toEqual([
      ['secret-1'],
      [],
      [],
      [],
      ['secret-1'],
    ]);
    expect(loads).toBe(1);
    clock = 999;
    expect(await provider('jenkins')).toEqual(['secret-1']);
    clock = 1000;
    fail = true;
    await expect(provider('jenkins')).rejects.toThrow('ThrottlingException');
    fail = false;
    expect(await provider('jenkins')).toEqual(['secret-3']);
    expect(loads).toBe(3);
  });
});
