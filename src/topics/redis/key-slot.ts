import type { Cluster, Redis } from 'ioredis'

/** Redis Cluster's CRC16 (XMODEM) slot of a key, honouring {hash tags}. */
export function keySlot (key: string): number {
  let bytes = Buffer.from(key)
  const open = bytes.indexOf('{')
  if (open !== -1) {
    const close = bytes.indexOf('}', open + 1)
    if (close > open + 1) bytes = bytes.subarray(open + 1, close)
  }
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc % 16384
}

/** The connection to the master that owns `key`'s slot, as the cluster client knows it now. */
export function slotMaster (cluster: Cluster, key: string): Redis | undefined {
  const owner = cluster.slots[keySlot(key)]?.[0]
  if (!owner) return undefined
  return cluster.nodes('master').find(node => `${node.options.host}:${node.options.port}` === owner)
}
