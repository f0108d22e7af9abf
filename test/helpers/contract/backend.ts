import type { Test } from 'tap'
import type { TopicEngine } from '../../../src/topics/engine'
import type { RetentionLimits } from '../../../src/topics/types'

/** What not every engine does. */
export interface EngineFeatures {
  /** Topics are renamed atomically (the Redis engine on a Cluster answers EXDEV instead). */
  renamesTopics: boolean
}

/** The engine under the contract, as each concern of it gets it (see engine-contract.ts). */
export interface EngineBackend {
  /**
   * A new engine, closed after the test that made it; `defaultRetention` is the default
   * retention of the mount it serves (none when absent).
   */
  freshStore: (defaultRetention?: RetentionLimits) => TopicEngine
  features: EngineFeatures
}

/** One concern of the engine contract: declares its tests on `t`, which make engines when they run. */
export type EngineConcern = (t: Test, backend: EngineBackend) => void
