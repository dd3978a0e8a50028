// bench/mongo.sh's server: tests/peers/node/congodb.mjs, plus a full garbage collection on SIGUSR2
// (node --expose-gc), so every timed step starts with the server's heap collected instead of
// paying for the previous step's garbage at a random moment.
// Usage: node --expose-gc [--max-old-space-size=MB] bench/congodb-gc.mjs <host> <port>
process.on('SIGUSR2', () => {
  const before = process.memoryUsage().heapUsed;
  global.gc();
  console.log(`gc: heap ${Math.round(before / 2 ** 20)} -> ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB`);
});
await import(new URL('../tests/peers/node/congodb.mjs', import.meta.url));
