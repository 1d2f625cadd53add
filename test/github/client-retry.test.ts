import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGitHubClient } from '../../src/github/client';
import { silentLogger } from '../../src/log/logger';

/** GitHub's REST API at the HTTP boundary: answers each path with the statuses listed, in turn. */
async function github(answers: Record<string, number[]>) {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] as string;
    hits.push(path);
    const status = answers[path]?.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { ok: true } : { message: 'Not Found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the GitHub client retries', () => {
  it('retries a server error, never a 404 (a wrong id stays wrong)', async () => {
    const api = await github({ '/flaky': [502], '/orgs/acme/hooks/123/deliveries': [404, 404, 404, 404] });
    try {
      // retries 1: the one retry after the 502 comes 1 s later (plugin-retry's first back-off).
      const client = createGitHubClient({
        token: 't',
        baseUrl: api.baseUrl,
        retries: 1,
        logger: silentLogger,
      });
      await expect(client.request('GET /flaky')).resolves.toMatchObject({ status: 200 });
      await expect(
        client.request('GET /orgs/{org}/hooks/{hook_id}/deliveries', { org: 'acme', hook_id: 123 }),
      ).rejects.toMatchObject({ status: 404 });
      expect(api.hits).toEqual(['/flaky', '/flaky', '/orgs/acme/hooks/123/deliveries']);
    } finally {
      await api.close();
    }
  });
});
