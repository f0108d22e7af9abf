/**
 * The lines of `ls -l`, for `dnpipes ls -l`: type and mode letters, links, owner, group, size,
 * time and name, columns padded as GNU ls pads them, and the "total" line in 1 KiB blocks.
 */

export interface ListedEntry {
  name: string
  mode: number
  nlink: number
  uid: number
  gid: number
  size: number
  blocks: number
  mtimeMs: number
  directory: boolean
}

/** Name lookups for owners and groups; an id without a name is shown as the number. */
export interface IdNames {
  user (uid: number): string
  group (gid: number): string
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
/** ls shows the year instead of the time for files older than about six months or in the future. */
const RECENT_MS = (365.2425 / 2) * 24 * 3600 * 1000

export function modeString (mode: number, directory: boolean): string {
  const bit = (mask: number, letter: string): string => (mode & mask) !== 0 ? letter : '-'
  const exec = (mask: number, special: number, on: string, off: string): string => {
    const x = (mode & mask) !== 0
    if ((mode & special) !== 0) return x ? on : off
    return x ? 'x' : '-'
  }
  return (directory ? 'd' : '-') +
    bit(0o400, 'r') + bit(0o200, 'w') + exec(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') + bit(0o020, 'w') + exec(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') + bit(0o002, 'w') + exec(0o001, 0o1000, 't', 'T')
}

export function timeString (mtimeMs: number, nowMs: number): string {
  const date = new Date(mtimeMs)
  const day = String(date.getDate()).padStart(2, ' ')
  const recent = mtimeMs <= nowMs + 60_000 && nowMs - mtimeMs < RECENT_MS
  const tail = recent
    ? `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`
    : ` ${date.getFullYear()}`
  return `${MONTHS[date.getMonth()]} ${day} ${tail}`
}

export function longListing (entries: ListedEntry[], names: IdNames, nowMs: number): string {
  const rows = entries.map(entry => ({
    mode: modeString(entry.mode, entry.directory),
    nlink: String(entry.nlink),
    user: names.user(entry.uid),
    group: names.group(entry.gid),
    size: String(entry.size),
    time: timeString(entry.mtimeMs, nowMs),
    name: entry.name
  }))
  const width = (key: 'nlink' | 'user' | 'group' | 'size'): number => Math.max(0, ...rows.map(row => row[key].length))
  const [nlinkW, userW, groupW, sizeW] = [width('nlink'), width('user'), width('group'), width('size')]
  // GNU ls sums 512-byte blocks and rounds up to KiB once, at the end.
  const totalKiB = Math.ceil(entries.reduce((sum, entry) => sum + entry.blocks, 0) / 2)
  const lines = rows.map(row =>
    `${row.mode} ${row.nlink.padStart(nlinkW)} ${row.user.padEnd(userW)} ${row.group.padEnd(groupW)} ${row.size.padStart(sizeW)} ${row.time} ${row.name}`)
  return [`total ${totalKiB}`, ...lines].join('\n') + '\n'
}

/** Parses /etc/passwd or /etc/group text into id -> name. */
export function parseIdFile (text: string): Map<number, string> {
  const names = new Map<number, string>()
  for (const line of text.split('\n')) {
    const fields = line.split(':')
    if (fields.length < 3 || line.startsWith('#')) continue
    const id = Number(fields[2])
    if (Number.isInteger(id) && !names.has(id)) names.set(id, fields[0] ?? String(id))
  }
  return names
}
