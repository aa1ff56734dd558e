// Types for `cloudflare:workers` inside tests: the Worker's bindings (secrets included) plus the
// test-only ones. GlobalProps (main module, Durable Object names) come from src/worker-configuration.d.ts.
import type { D1Migration } from 'cloudflare:test'
import type { Bindings } from '../src/env'

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[]
    }
  }
}
