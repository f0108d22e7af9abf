import type { Statfs } from '../fuse/types'
import { mountLog } from '../log'
import { RedisReplyError, typedRedisError } from '../redis/errors'
import type { RedisMemory } from '../redis/memory'

const BLOCK_BYTES = 4096
/** Topics have no inodes to run out of: a count large enough that `df -i` never worries anybody. */
const FILES = 2 ** 24

/** What `df` shows when Redis's memory cannot be known (no INFO for this user): 1 TiB, all free. */
export const UNKNOWN_SPACE: Statfs = spaceOf(2 ** 40, 0)

function spaceOf (sizeBytes: number, usedBytes: number): Statfs {
  const blocks = Math.floor(sizeBytes / BLOCK_BYTES)
  const free = Math.max(0, blocks - Math.ceil(usedBytes / BLOCK_BYTES))
  return {
    bsize: BLOCK_BYTES,
    frsize: BLOCK_BYTES,
    blocks,
    bfree: free,
    bavail: free,
    files: FILES,
    ffree: FILES,
    namemax: 255
  }
}

/** statfs(2) of a mount from its Redis's memory: `maxmemory` (or the machine's) as the size, `used_memory` as used. */
export function statfsOf (memory: RedisMemory): Statfs {
  return spaceOf(memory.sizeBytes, memory.usedBytes)
}

/** How long one reading of Redis's memory answers statfs and metrics: `df` in a loop costs one INFO a second. */
const FRESH_MS = 1000

/**
 * Redis's memory for `df` and metrics, read at most once a second however many ask. A user whose
 * ACL forbids INFO gets UNKNOWN_SPACE, and the mount stops asking; any other failure (Redis down)
 * is the caller's to answer (EIO).
 */
export class RedisSpace {
  private reading: Promise<RedisMemory | undefined> | undefined
  private readAt = 0
  private forbidden = false

  constructor (private readonly read: () => Promise<RedisMemory>, private readonly now: () => number = Date.now) {}

  /** The latest reading, at most a second old; undefined when INFO is forbidden. */
  memory (): Promise<RedisMemory | undefined> {
    if (this.forbidden) return Promise.resolve(undefined)
    if (this.reading && this.now() - this.readAt < FRESH_MS) return this.reading
    this.readAt = this.now()
    const reading = this.read().catch(err => {
      const failure = typedRedisError(err)
      if (failure instanceof RedisReplyError && failure.code === 'NOPERM') {
        mountLog('df shows a fixed size: this Redis user may not run INFO (%s)', failure.message)
        this.forbidden = true
        return undefined
      }
      if (this.reading === reading) this.reading = undefined // a failure is not kept: the next statfs asks again
      throw failure
    })
    this.reading = reading
    return reading
  }

  async statfs (): Promise<Statfs> {
    const memory = await this.memory()
    return memory ? statfsOf(memory) : UNKNOWN_SPACE
  }
}
