/** A real HTTP receiver on loopback that parses Sentry envelopes, for delivery tests. */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export interface ReceivedItem {
  header: Record<string, unknown> & { type: string };
  payload: unknown;
}

export interface ReceivedEnvelope {
  url: string;
  headers: IncomingHttpHeaders;
  /** Body size on the wire (compressed when gzipped). */
  wireBytes: number;
  header: Record<string, unknown>;
  items: ReceivedItem[];
}

/** Parses an envelope body: header line, then item header + payload (by `length` or to the newline). */
export function parseEnvelope(body: Buffer): { header: Record<string, unknown>; items: ReceivedItem[] } {
  let pos = body.indexOf(0x0a);
  const header = JSON.parse(body.subarray(0, pos < 0 ? body.length : pos).toString()) as Record<
    string,
    unknown
  >;
  const items: ReceivedItem[] = [];
  while (pos >= 0 && pos + 1 < body.length) {
    const start = pos + 1;
    const headerEnd = body.indexOf(0x0a, start);
    if (headerEnd < 0) throw new Error('item header without payload');
    const itemHeader = JSON.parse(body.subarray(start, headerEnd).toString()) as ReceivedItem['header'];
    let payloadEnd: number;
    if (typeof itemHeader.length === 'number') {
      payloadEnd = headerEnd + 1 + itemHeader.length;
    } else {
      const nl = body.indexOf(0x0a, headerEnd + 1);
      payloadEnd = nl < 0 ? body.length : nl;
    }
    items.push({
      header: itemHeader,
      payload: JSON.parse(body.subarray(headerEnd + 1, payloadEnd).toString()),
    });
    pos = payloadEnd < body.length ? payloadEnd : -1;
  }
  return { header, items };
}

export type Responder = (
  envelope: ReceivedEnvelope,
) => { status: number; headers?: Record<string, string> } | 'hang' | undefined;

export class Receiver {
  readonly envelopes: ReceivedEnvelope[] = [];
  respond: Responder = () => undefined;
  private server: http.Server;
  private hanging = new Set<http.ServerResponse>();
  port = 0;

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
        const envelope: ReceivedEnvelope = {
          url: req.url ?? '',
          headers: req.headers,
          wireBytes: raw.length,
          ...parseEnvelope(body),
        };
        const answer = this.respond(envelope);
        if (answer === 'hang') {
          this.hanging.add(res);
          return;
        }
        if (answer === undefined || answer.status < 300) this.envelopes.push(envelope);
        res.writeHead(answer?.status ?? 200, answer?.headers ?? {});
        res.end('{}');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  dsn(key = 'pubkey'): string {
    return `http://${key}@127.0.0.1:${this.port}/42`;
  }

  items(type: string): ReceivedItem[] {
    return this.envelopes.flatMap((e) => e.items.filter((i) => i.header.type === type));
  }

  /** The records inside container items (span v2, log, trace_metric) of one type. */
  records<T = Record<string, unknown>>(type: string): T[] {
    return this.items(type).flatMap((i) => (i.payload as { items: T[] }).items);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
