import { Cluster } from 'ioredis'
import type { RedisClient } from './connect'

/** What one server's `INFO memory` says about the room it has. */
export interface ServerMemory {
  usedBytes: number
  /** `maxmemory`; 0 when the server has no limit. */
  maxmemoryBytes: number
  /** The machine's memory, as the server sees it (0 when it does not say). */
  systemBytes: number
  /** `maxmemory-policy`: what the server does when it is full. */
  policy: string
}

/** The memory of the Redis a mount uses: one server, or the sums over a Cluster's masters. */
export interface RedisMemory {
  usedBytes: number
  /** `maxmemory`, or the machine's memory for a server without a limit: the size `df` shows. */
  sizeBytes: number
  /** Whether every server has a `maxmemory` (otherwise the size is the machine's memory). */
  limited: boolean
  /** The policies that are not `noeviction`, one per kind, with how many servers use them. */
  evicting: string[]
  servers: number
}

const NO_EVICTION = 'noeviction'

function field (info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1]
}

function count (info: string, name: string): number {
  const value = Number(field(info, name))
  return Number.isFinite(value) && value >= 0 ? value : 0
}

/** Reads the fields that matter from the text of `INFO memory`. */
export function parseMemoryInfo (info: string): ServerMemory {
  const used = field(info, 'used_memory')
  if (used === undefined) throw new Error('INFO memory has no used_memory')
  return {
    usedBytes: count(info, 'used_memory'),
    maxmemoryBytes: count(info, 'maxmemory'),
    systemBytes: count(info, 'total_system_memory'),
    policy: field(info, 'maxmemory_policy') ?? NO_EVICTION
  }
}

/** Adds the servers up: a Cluster's room is the sum of its masters'. */
export function combineMemory (servers: ServerMemory[]): RedisMemory {
  const policies = new Map<string, number>()
  for (const server of servers) {
    if (server.policy !== NO_EVICTION) policies.set(server.policy, (policies.get(server.policy) ?? 0) + 1)
  }
  return {
    usedBytes: servers.reduce((sum, server) => sum + server.usedBytes, 0),
    sizeBytes: servers.reduce((sum, server) => sum + (server.maxmemoryBytes || server.systemBytes), 0),
    limited: servers.length > 0 && servers.every(server => server.maxmemoryBytes > 0),
    evicting: [...policies].map(([policy, servers]) => servers > 1 ? `${policy} (${servers} masters)` : policy),
    servers: servers.length
  }
}

/** Asks every server that holds topics (a Cluster's masters) for `INFO memory`. */
export async function readRedisMemory (redis: RedisClient): Promise<RedisMemory> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis]
  if (servers.length === 0) throw new Error('no Cluster master is known yet')
  return combineMemory(await Promise.all(servers.map(async server => parseMemoryInfo(await server.info('memory')))))
}

/** A Redis that deletes keys when it is full: what goes wrong, and how to fix it. */
export interface EvictionRisk {
  problem: string
  fix: string
}

/**
 * The risk of a Redis that deletes keys when it is full, or undefined for one that refuses writes
 * instead (which dnpipes answers with ENOSPC, losing nothing).
 */
export function evictionRisk (memory: RedisMemory): EvictionRisk | undefined {
  if (memory.evicting.length === 0) return undefined
  return {
    problem: `maxmemory-policy is ${memory.evicting.join(', ')}: when Redis is full it deletes keys, so whole topics can vanish without an error`,
    fix: 'redis-cli CONFIG SET maxmemory-policy noeviction (and maxmemory-policy noeviction in redis.conf), then bound topics with retention limits'
  }
}

/** Bytes as `df -h` shows them (powers of 1024): "512B", "1.5K", "98M", "2.0G". */
export function formatBytes (bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value}B` : `${value < 10 ? value.toFixed(1) : Math.round(value)}${units[unit]}`
}
