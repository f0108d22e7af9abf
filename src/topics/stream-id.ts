/** Redis stream ids ("1700000000000-3") compared as the pairs of integers they are. */
export function compareIds (a: string, b: string): number {
  const [aMs = '0', aSeq = '0'] = a.split('-')
  const [bMs = '0', bSeq = '0'] = b.split('-')
  if (aMs.length !== bMs.length) return aMs.length - bMs.length
  if (aMs !== bMs) return aMs < bMs ? -1 : 1
  if (aSeq.length !== bSeq.length) return aSeq.length - bSeq.length
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1
}

export function minId (ids: Iterable<string>): string | undefined {
  let min: string | undefined
  for (const id of ids) if (min === undefined || compareIds(id, min) < 0) min = id
  return min
}

/**
 * The id right after `lastId` (undefined: none known), at the clock `nowMs` where that is later:
 * the id XADD * would give, if the clocks agree.
 */
export function idAfter (lastId: string | undefined, nowMs: number): string {
  const [lastMs = '0', lastSeq = '0'] = (lastId ?? '0-0').split('-')
  const now = Math.floor(nowMs)
  if (now > Number(lastMs)) return `${now}-0`
  return `${lastMs}-${BigInt(lastSeq) + 1n}`
}
