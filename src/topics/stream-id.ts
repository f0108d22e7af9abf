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
