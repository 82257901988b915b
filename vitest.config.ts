import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/fresh-build.ts'],
    // An S3 store opened without credentials would have the AWS SDK ask the cloud's instance metadata address
    // (169.254.169.254) for some: tests reach loopback addresses only. Children the tests start inherit it.
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: each file owns its own databases and folders, so files may run side by side. Files in one fork
    // share its module cache (isolate: false): nothing in src/ keeps state between tests at module level, and
    // importing the code again for each of ~150 files cost ~2 of the suite's ~18 minutes (collect 238 s → 22 s).
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1, isolate: false } },
  },
});
