/**
 * What a filesystem served through this layer answers with: a file's attributes and the
 * filesystem's space. Times are Dates or milliseconds since the epoch.
 */

export interface Stat {
  mode: number
  uid: number
  gid: number
  size: number
  mtime: Date | number
  atime: Date | number
  ctime: Date | number
  nlink?: number
  blocks?: number
  blksize?: number
  /** The inode number shown to stat(2); the node id when absent. */
  ino?: number
  rdev?: number
  /**
   * How long the kernel may keep these attributes, in seconds; the mount's `attrSeconds` when
   * absent. A filesystem that gives more must tell the layer when they change (see
   * PathLayer.attributesChanged).
   */
  keepSeconds?: number
}

export interface Statfs {
  bsize: number
  frsize: number
  blocks: number
  bfree: number
  bavail: number
  files: number
  ffree: number
  namemax: number
}

/** How long the kernel may keep a name (entry) and a node's attributes before asking again. */
export interface CacheTimes {
  entrySeconds: number
  attrSeconds: number
}
