/**
 * GET /api/v1/agent-runs and the sampling timeline parameters on a real server (DuckDB). What the
 * stores answer (run roots, figures, filters, cursors; the logs attribute filter) is checked for
 * every backend by the conformance suite (store-conformance.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getJson, startTestServer } from './helpers.ts';

describe('GET /api/v1/agent-runs and /api/v1/sampling?interval', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  test('bad parameters are 400s naming them; an empty store is an empty page', async () => {
    let r = await getJson(server, '/api/v1/agent-runs?status=broken');
    assert.equal(r.status, 400);
    assert.match(r.body.error, /status/);
    r = await getJson(server, '/api/v1/agent-runs?cursor=nonsense');
    assert.equal(r.status, 400);
    r = await getJson(server, '/api/v1/agent-runs?limit=5&agent=x');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { runs: [], nextCursor: null });
  });

  test('sampling timeline: interval needs from and a sane bucket count', async () => {
    let r = await getJson(server, '/api/v1/sampling?interval=5m');
    assert.equal(r.status, 400);
    assert.match(r.body.error, /interval.*from/);
    r = await getJson(server, '/api/v1/sampling?interval=1ms&from=0&to=100000000');
    assert.equal(r.status, 400);
    r = await getJson(server, `/api/v1/sampling?interval=5m&from=${Date.now() - 3_600_000}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.timeline, []);
  });
});
