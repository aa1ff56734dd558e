// Vitest's JSON reporter, limited to one project, so CI gets one report per runner
// (test-results/workers.json, test-results/e2e.json) from a single `vitest run`.
import { JsonReporter, type TestModule } from 'vitest/node'

export class ProjectJsonReporter extends JsonReporter {
  constructor(
    private readonly projectName: string,
    outputFile: string,
  ) {
    super({ outputFile })
  }

  override onTestRunEnd(...args: Parameters<JsonReporter['onTestRunEnd']>) {
    const [modules, ...rest] = args
    const mine = (modules as readonly TestModule[]).filter(
      (m) => m.project.name === this.projectName,
    )
    return super.onTestRunEnd(mine, ...rest)
  }
}
