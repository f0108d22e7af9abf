import type { Test } from 'tap'

/** Sets environment variables for the test, as they were when it ends. */
export function environment (t: Test, values: Record<string, string>): void {
  const before = Object.fromEntries(Object.keys(values).map(name => [name, process.env[name]]))
  Object.assign(process.env, values)
  t.teardown(() => {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
}
