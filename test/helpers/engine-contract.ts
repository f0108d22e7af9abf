import { Test } from 'tap'
import type { TopicEngine } from '../../src/topics/engine'
import type { RetentionLimits } from '../../src/topics/types'
import { appendsAndRendering } from './contract/appends-and-rendering'
import type { EngineConcern, EngineFeatures } from './contract/backend'
import { directories } from './contract/directories'
import { following } from './contract/following'
import { groupClaims } from './contract/groups/claims'
import { groupHolds } from './contract/groups/holds'
import { groupLifecycle } from './contract/groups/lifecycle'
import { idsAndKeys } from './contract/ids-and-keys'
import { namesAndKinds } from './contract/names-and-kinds'
import { ownershipAndModes } from './contract/ownership-and-modes'
import { pagesAndOffsets } from './contract/pages-and-offsets'
import { rename } from './contract/rename'
import { resetAndRemove } from './contract/reset-and-remove'
import { retentionLargeTrims } from './contract/retention/large-trims'
import { retentionLimits } from './contract/retention/limits'
import { retentionReaders } from './contract/retention/readers'
import { retentionResetsAndGroups } from './contract/retention/resets-and-groups'
import { scheduling } from './contract/schedule'
import { times } from './contract/times'
import { waiting } from './contract/waiting'
import { writeTokens } from './contract/write-tokens'
import { freshEngines } from './fresh-engines'

export type { EngineFeatures }

/**
 * The contract of a topic engine, through the TopicEngine API and the rendered bytes alone: one
 * suite for every engine (JuiceFS runs one metadata suite over all of its engines). The Redis
 * engine runs it from test/helpers/redis-engine-contract.ts (standalone, Sentinel, Cluster), the memory
 * engine from test/unit/topics/memory/memory-engine.test.ts. Its concerns are in test/helpers/contract/,
 * each a function of (t, backend); every engine runs all of them, in this order.
 */
const CONCERNS: EngineConcern[] = [
  groupClaims, groupHolds, groupLifecycle,
  retentionLimits, retentionReaders, retentionLargeTrims, retentionResetsAndGroups,
  scheduling,
  writeTokens,
  appendsAndRendering, namesAndKinds, pagesAndOffsets, idsAndKeys, resetAndRemove,
  directories, ownershipAndModes, times, rename,
  waiting, following
]

/**
 * Declares the contract's tests on `t`; `makeEngine` is called when they run (after t.before),
 * with the default retention of the mount the engine serves (none when absent).
 */
export function engineContract (t: Test, makeEngine: (defaultRetention?: RetentionLimits) => TopicEngine, features: EngineFeatures): void {
  const backend = { freshStore: freshEngines(t, makeEngine), features }
  for (const concern of CONCERNS) concern(t, backend)
}
