import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AuthResult, type AuthSources, extractPublicKey, publicKeyFromDsn } from '../src/ingest/auth.js';
import { expectIngestError } from './fixtures/ingest/helpers.js';

const KEY = 'abc123def4567890abc123def4567890';

describe('extractPublicKey: where the key comes from', () => {
  const cases: Array<[string, AuthSources, AuthResult]> = [
    ['nothing', {}, {}],
    [
      'query string (JS SDK)',
      { query: `sentry_version=7&sentry_key=${KEY}&sentry_client=sentry.javascript.node%2F11.12.0` },
      { publicKey: KEY, source: 'query' },
    ],
    ['query string with ?', { query: `?sentry_key=${KEY}` }, { publicKey: KEY, source: 'query' }],
    [
      'URLSearchParams',
      { query: new URLSearchParams({ sentry_key: KEY }) },
      { publicKey: KEY, source: 'query' },
    ],
    [
      'parsed query object (fastify)',
      { query: { sentry_key: KEY, sentry_version: '7' } },
      { publicKey: KEY, source: 'query' },
    ],
    [
      'parsed query with a repeated key',
      { query: { sentry_key: [KEY, 'other'] } },
      { publicKey: KEY, source: 'query' },
    ],
    [
      'X-Sentry-Auth (Python)',
      {
        headers: {
          'x-sentry-auth': `Sentry sentry_key=${KEY}, sentry_version=7, sentry_client=sentry.python/1.9.10`,
        },
      },
      { publicKey: KEY, source: 'x-sentry-auth' },
    ],
    [
      'X-Sentry-Auth header name in any case',
      { headers: { 'X-Sentry-Auth': `Sentry sentry_key=${KEY}` } },
      { publicKey: KEY, source: 'x-sentry-auth' },
    ],
    [
      'X-Sentry-Auth without the Sentry prefix',
      { headers: { 'x-sentry-auth': `sentry_version=7,sentry_key=${KEY}` } },
      { publicKey: KEY, source: 'x-sentry-auth' },
    ],
    [
      'X-Sentry-Auth with a quoted value',
      { headers: { 'x-sentry-auth': `Sentry sentry_key="${KEY}"` } },
      { publicKey: KEY, source: 'x-sentry-auth' },
    ],
    [
      'X-Sentry-Auth as an array',
      { headers: { 'x-sentry-auth': [`Sentry sentry_key=${KEY}`] } },
      { publicKey: KEY, source: 'x-sentry-auth' },
    ],
    [
      'Authorization: Sentry',
      { headers: { authorization: `Sentry sentry_key=${KEY}, sentry_version=7` } },
      { publicKey: KEY, source: 'authorization' },
    ],
    [
      'Authorization: Bearer (OTLP)',
      { headers: { authorization: `Bearer ${KEY}` } },
      { publicKey: KEY, source: 'bearer' },
    ],
    [
      'Authorization: bearer, lower case',
      { headers: { authorization: `bearer   ${KEY} ` } },
      { publicKey: KEY, source: 'bearer' },
    ],
    [
      'Authorization: Basic is ignored (a proxy may use it)',
      { headers: { authorization: 'Basic dXNlcjpwYXNz' }, query: `sentry_key=${KEY}` },
      { publicKey: KEY, source: 'query' },
    ],
    [
      'envelope dsn',
      { envelopeHeader: { dsn: `https://${KEY}@o1.ingest.sentry.io/42` } },
      { publicKey: KEY, source: 'dsn' },
    ],
    [
      'envelope dsn with a secret (old DSNs)',
      { envelopeHeader: { dsn: `http://${KEY}:secret@localhost:4318/1` } },
      { publicKey: KEY, source: 'dsn' },
    ],
    ['envelope dsn null is absent', { envelopeHeader: { dsn: null } }, {}],
    [
      'header wins over query and dsn',
      {
        headers: { 'x-sentry-auth': 'Sentry sentry_key=fromheader' },
        query: 'sentry_key=fromquery',
        envelopeHeader: { dsn: 'http://fromdsn@h/1' },
      },
      { publicKey: 'fromheader', source: 'x-sentry-auth' },
    ],
    [
      'query wins over dsn',
      { query: 'sentry_key=fromquery', envelopeHeader: { dsn: 'http://fromdsn@h/1' } },
      { publicKey: 'fromquery', source: 'query' },
    ],
    ['other query params only', { query: 'sentry_version=7' }, {}],
  ];
  for (const [name, sources, expected] of cases) {
    test(name, () => assert.deepEqual(extractPublicKey(sources), expected));
  }
});

describe('extractPublicKey: malformed sources → 400', () => {
  const cases: Array<[string, AuthSources, RegExp]> = [
    [
      'X-Sentry-Auth without sentry_key',
      { headers: { 'x-sentry-auth': 'Sentry sentry_version=7' } },
      /X-Sentry-Auth header: no sentry_key/,
    ],
    ['X-Sentry-Auth empty', { headers: { 'x-sentry-auth': '' } }, /X-Sentry-Auth header: no sentry_key/],
    [
      'X-Sentry-Auth not key=value',
      { headers: { 'x-sentry-auth': 'Sentry abc' } },
      /expected key=value pairs, got "abc"/,
    ],
    [
      'X-Sentry-Auth empty key',
      { headers: { 'x-sentry-auth': 'Sentry sentry_key=' } },
      /sentry_key is empty/,
    ],
    [
      'X-Sentry-Auth key with spaces',
      { headers: { 'x-sentry-auth': 'Sentry sentry_key=a b' } },
      /has characters a DSN key cannot have/,
    ],
    [
      'Authorization: Sentry without key',
      { headers: { authorization: 'Sentry sentry_version=7' } },
      /Authorization header: no sentry_key/,
    ],
    ['Bearer without token', { headers: { authorization: 'Bearer' } }, /Bearer without a token/],
    [
      'Bearer with a bad token',
      { headers: { authorization: 'Bearer a,b' } },
      /Authorization header: the key "a,b"/,
    ],
    ['empty sentry_key query', { query: 'sentry_key=' }, /query parameter sentry_key: sentry_key is empty/],
    ['query sentry_key not a string', { query: { sentry_key: 5 } }, /sentry_key is empty/],
    [
      'dsn not a URL',
      { envelopeHeader: { dsn: 'not a url' } },
      /envelope header dsn is not a URL: "not a url"/,
    ],
    [
      'dsn without key',
      { envelopeHeader: { dsn: 'https://o1.ingest.sentry.io/42' } },
      /envelope header dsn has no public key/,
    ],
    ['dsn not a string', { envelopeHeader: { dsn: 42 } }, /envelope header dsn must be a string/],
  ];
  for (const [name, sources, message] of cases) {
    test(name, () => expectIngestError(() => extractPublicKey(sources), 400, message));
  }
});

test('publicKeyFromDsn decodes percent-escapes', () => {
  assert.equal(publicKeyFromDsn('http://ab%2Dc@h/1'), 'ab-c');
});
