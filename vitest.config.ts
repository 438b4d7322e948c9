import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    // Two test files at once even on two cores: most tests wait on child processes, MariaDB, SMTP and sshd
    maxWorkers: 2,
    hookTimeout: 120_000,
  },
});
