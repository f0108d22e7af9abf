import type { Test } from 'tap'

/** Date.now as the test sets it (`clock.now = …`) for the length of test `t`. */
export function fakeClock (t: Test, start: number): { now: number } {
  const real = Date.now
  const state = { now: start }
  Date.now = () => state.now
  t.teardown(() => { Date.now = real })
  return state
}
