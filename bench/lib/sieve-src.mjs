// `sieve` from the TypeScript sources (run with `node --import tsx`), so the benchmark can run the
// server without a build: `node bench/server-ingest.mjs --src`.
import { main } from '../../packages/server/src/cli.ts';

process.exitCode = await main(process.argv.slice(2));
