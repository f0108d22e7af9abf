import type { Test } from 'tap'
import type { TopicEngine } from '../../src/topics/engine'

/** A maker of engines for the tests of `t`, each closed after the test that made it. */
export function freshEngines<A extends unknown[]> (t: Test, makeEngine: (...args: A) => TopicEngine): (...args: A) => TopicEngine {
  const engines: TopicEngine[] = []
  t.afterEach(() => { for (const engine of engines.splice(0)) engine.close() })
  return (...args) => {
    const engine = makeEngine(...args)
    engines.push(engine)
    return engine
  }
}
