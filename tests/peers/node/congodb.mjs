// Starts congodb, the in-memory MongoDB-wire-compatible server of @push.rocks/smartmongo@2.2.0.
// Usage: node congodb.mjs <host> <port>
import { CongoServer } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 17017);
const server = new CongoServer({ host, port });
await server.start();
console.log(`congodb listening on ${host}:${port}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
