import { virtualClock } from '../store/support';
import { FakeGitHub } from './server';

describe('fake GitHub rate limits', () => {
  let fake: FakeGitHub;
  afterEach(async () => {
    await fake.stop();
  });

  const post = (token: string) =>
    fetch(`${fake.baseUrl}/repos/acme/data/git/blobs`, {
      method: 'POST',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: '{"content":"x"}',
    });

  it('refuses the 81st content-creating request of a minute with the secondary-limit 403 and retry-after', async () => {
    const clock = virtualClock();
    fake = new FakeGitHub({ now: clock.now });
    fake.route('POST', '/repos/{owner}/{repo}/git/blobs', () => ({ status: 201, body: {} }));
    await fake.start();
    for (let i = 0; i < 80; i += 1) expect((await post('a')).status).toBe(201);
    const refused = await post('a');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: expect.stringMatching(/secondary rate limit/) });
    expect(Number(refused.headers.get('retry-after'))).toBe(60);
    // Per token: another token is not affected. Sliding: a minute later the first token may write again.
    expect((await post('b')).status).toBe(201);
    clock.advance(60_000);
    expect((await post('a')).status).toBe(201);
    expect(fake.secondaryLimited).toBe(1);
    expect(fake.peakContentWrites(60_000)).toBe(80);
  });

  it('refuses the 501st of an hour until the oldest leaves the window', async () => {
    const clock = virtualClock();
    fake = new FakeGitHub({ now: clock.now });
    fake.route('POST', '/repos/{owner}/{repo}/git/blobs', () => ({ status: 201, body: {} }));
    await fake.start();
    for (let i = 0; i < 500; i += 1) {
      expect((await post('a')).status).toBe(201);
      clock.advance(1_000);
    }
    const refused = await post('a');
    expect(refused.status).toBe(403);
    // The first write was 500 s ago: the hour frees a slot 3,100 s from now.
    expect(Number(refused.headers.get('retry-after'))).toBe(3_100);
    clock.advance(3_100_000);
    expect((await post('a')).status).toBe(201);
    expect(fake.peakContentWrites()).toBe(500);
  });

  it('does not count reads as content-creating', async () => {
    fake = new FakeGitHub({ contentLimits: { perMinute: 1, perHour: 1 } });
    fake.route('GET', '/repos/{owner}/{repo}', () => ({ status: 200, body: {} }));
    await fake.start();
    for (let i = 0; i < 5; i += 1) expect((await fetch(`${fake.baseUrl}/repos/acme/data`)).status).toBe(200);
    expect(fake.contentWrites).toHaveLength(0);
  });
});
