import path from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { vendorAssets } from './scripts/vendor-assets.mjs'
import { ProjectJsonReporter } from './test/e2e/project-json-reporter.ts'
import { TEST_VARS } from './test/env.ts'

export default defineConfig(async () => {
  // The Worker's static assets (public/vendor/) must exist before wrangler.toml's [assets] loads.
  vendorAssets()
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'))
  return {
    test: {
      // In CI a JSON report per project too; .ci/run sums the reports into `N passed, N failed`.
      reporters: process.env.CI
        ? [
            'default',
            new ProjectJsonReporter('workers', 'test-results/workers.json'),
            new ProjectJsonReporter('e2e', 'test-results/e2e.json'),
          ]
        : ['default'],
      projects: [
        {
          // Units and integration inside workerd, with real D1, DO, Queue and R2 bindings.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: { bindings: { ...TEST_VARS, TEST_MIGRATIONS: migrations } },
            }),
          ],
          test: {
            name: 'workers',
            // Request logs are on in tests (the proof-at-rest scan reads them); print them only for failures.
            silent: 'passed-only',
            include: ['test/**/*.test.ts'],
            exclude: ['test/e2e/**', 'node_modules/**'],
            setupFiles: ['./test/setup/apply-migrations.ts'],
          },
        },
        {
          // The dashboard in a real browser (Debian's chromium) against `wrangler dev` on :8790.
          test: {
            name: 'e2e',
            environment: 'node',
            include: ['test/e2e/**/*.test.ts'],
            globalSetup: ['./test/e2e/global-setup.ts'],
            testTimeout: 120_000,
            hookTimeout: 180_000,
            fileParallelism: false,
          },
        },
      ],
    },
  }
})
