import createDebug from 'debug'

/** One namespace per layer: DEBUG=dnpipes:* shows every operation with its result. */
export const fuseLog = createDebug('dnpipes:fuse')
export const topicsLog = createDebug('dnpipes:topics')
export const redisLog = createDebug('dnpipes:redis')
export const mountLog = createDebug('dnpipes:mount')
/** Consumer groups: messages let go, acknowledgements that failed, dead letters. */
export const groupsLog = createDebug('dnpipes:groups')
/** The volume driver: volumes made, mounted, unmounted, removed. */
export const volumesLog = createDebug('dnpipes:volumes')

const MAX_SHOWN = 64

/** Shortens payloads for log lines, as ioredis does, so a 3 MB write logs as a few words. */
export function brief (value: Buffer | string): string {
  const text = typeof value === 'string' ? value : value.toString('utf8', 0, Math.min(value.length, MAX_SHOWN + 1))
  return text.length > MAX_SHOWN ? JSON.stringify(text.slice(0, MAX_SHOWN)) + `... (${value.length} bytes)` : JSON.stringify(text)
}
