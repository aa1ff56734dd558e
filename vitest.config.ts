import path from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { TEST_VARS } from './test/env.ts'

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'))
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: { bindings: { ...TEST_VARS, TEST_MIGRATIONS: migrations } },
      }),
    ],
    test: {
      // In CI a JSON report too; .ci/run sums the reports into `N passed, N failed`.
      reporters: process.env.CI ? ['default', 'json'] : ['default'],
      outputFile: { json: 'test-results/workers.json' },
      include: ['test/**/*.test.ts'],
      exclude: ['test/e2e/**', 'node_modules/**'],
      setupFiles: ['./test/setup/apply-migrations.ts'],
    },
  }
})
