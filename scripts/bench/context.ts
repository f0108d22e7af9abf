import Redis from 'ioredis'
import { MountedDir } from '../support/mount'
import { RedisServer } from '../support/redis-server'
import { PeakRss } from './rss'
import { Scratch } from './scratch'
import { Sizes } from './sizes'
import { Table } from './table'

/** What the runner sets up for every workload. */
export interface Bench {
  sizes: Sizes
  server: RedisServer
  /** The direct client of the ioredis baselines. */
  redis: Redis
  /** The mount most workloads write and read through. */
  a: MountedDir
  /** A second mount of the same server: L1's follower. */
  b: MountedDir
  /** scripts/null-fuse.ts, the FUSE layer answering from memory. */
  floor: MountedDir
  /** scripts/bench/c-floor/, a filesystem in C on libfuse 3: the physical floor. */
  cFloor: MountedDir
  scratch: Scratch
  rss: PeakRss
  table: Table
}
