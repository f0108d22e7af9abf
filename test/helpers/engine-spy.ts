import type { TopicEngine } from '../../src/topics/engine'
import { MemoryEngine } from '../../src/topics/memory/memory-engine'

/** A TopicEngine that records its calls and can fail or hold them, around a real engine. */
export interface EngineSpy {
  engine: TopicEngine
  /** The engine the calls reach. */
  inner: TopicEngine
  /** Names of the methods called, in order. */
  calls: string[]
  /** The next call of `method` fails with `err` without reaching the engine. */
  failNext (method: keyof TopicEngine, err: Error): void
  /** Calls of `method` wait until the returned function is called; then they go on, in order. */
  hold (method: keyof TopicEngine): () => void
}

export function spyEngine (inner: TopicEngine = new MemoryEngine()): EngineSpy {
  const calls: string[] = []
  const failures = new Map<string, Error[]>()
  const gates = new Map<string, Promise<void>>()
  const engine = new Proxy(inner, {
    get (target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof property !== 'string' || typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(property)
        const failure = failures.get(property)?.shift()
        if (failure) return Promise.reject(failure)
        const gate = gates.get(property)
        if (gate) return gate.then(() => (value as (...a: unknown[]) => unknown).apply(target, args))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
  return {
    engine,
    inner,
    calls,
    failNext (method, err) {
      failures.set(method, [...failures.get(method) ?? [], err])
    },
    hold (method) {
      let release!: () => void
      gates.set(method, new Promise(resolve => { release = resolve }))
      return () => {
        gates.delete(method)
        release()
      }
    }
  }
}
