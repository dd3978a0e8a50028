// Starts s3rver with the command-line flags given to this script
// (the npm package of @20minutes/s3rver@5.0.0 ships lib/cli.js but no bin file).
// Run with `node --openssl-legacy-provider` (else paginated ListObjectsV2 answers 500).
require('@20minutes/s3rver/lib/cli')
  .parseAsync(process.argv)
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
