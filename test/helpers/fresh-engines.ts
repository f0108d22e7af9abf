import type { Test } from 'tap'
import type { TopicEngine } from '../../src/topics/engine'

/** A maker of engines for the tests of `t`, each closed after the test that made it. */
export function freshEngines (t: Test, makeEngine: () => TopicEngine): () => TopicEngine {
  const engines: TopicEngine[] = []
  t.afterEach(() => { for (const engine of engines.splice(0)) engine.close() })
  return () => {
    const engine = makeEngine()
    engines.push(engine)
    return engine
  }
}
