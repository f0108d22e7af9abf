import { Message } from './message'

/**
 * The stored format, defined once: how a message is stored as a stream entry, and how any
 * entry (ours or another client's) renders as bytes of the file. The Lua scripts get the field
 * names from here (src/topics/redis/script-runner.ts) and render by the same rule (lua/helpers.lua),
 * as does the page renderer (src/topics/redis/pages/page-renderer.ts); a property test holds all three to
 * the same bytes and sizes.
 *
 * - `data`: the payload (a line without its newline, or a verbatim chunk).
 * - `raw`: present when the payload renders as-is, with no newline appended.
 * - An entry without `data` renders as one line `field=value field=value`.
 */
export const PAYLOAD_FIELD = 'data'
export const VERBATIM_FIELD = 'raw'

const PAYLOAD = Buffer.from(PAYLOAD_FIELD)
const VERBATIM = Buffer.from(VERBATIM_FIELD)
const NEWLINE = Buffer.from('\n')
const EQUALS = Buffer.from('=')
const SPACE = Buffer.from(' ')

/** Field/value pairs of one stream entry, as Redis returns them. */
export type EntryFields = Buffer[]

/** The XADD field/value arguments that store a message. */
export function messageFields (message: Message): Array<string | Buffer> {
  return message.verbatim
    ? [PAYLOAD_FIELD, message.payload, VERBATIM_FIELD, '1']
    : [PAYLOAD_FIELD, message.payload]
}

interface Shape {
  payload: Buffer | undefined
  verbatim: boolean
}

function shapeOf (fields: EntryFields): Shape {
  let payload: Buffer | undefined
  let verbatim = false
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!
    if (payload === undefined && name.equals(PAYLOAD)) payload = fields[i + 1]!
    else if (name.equals(VERBATIM)) verbatim = true
  }
  return { payload, verbatim }
}

/** Bytes the entry occupies in the file. */
export function renderedLength (fields: EntryFields): number {
  const { payload, verbatim } = shapeOf(fields)
  if (payload !== undefined) return payload.length + (verbatim ? 0 : 1)
  let length = 0
  for (let i = 0; i + 1 < fields.length; i += 2) {
    length += fields[i]!.length + 1 + fields[i + 1]!.length + 1 // "k=v" then " " or "\n"
  }
  return Math.max(length, 1)
}

/** Appends the entry's bytes to `out` (an array later joined by Buffer.concat). */
export function renderInto (fields: EntryFields, out: Buffer[]): void {
  const { payload, verbatim } = shapeOf(fields)
  if (payload !== undefined) {
    out.push(payload)
    if (!verbatim) out.push(NEWLINE)
    return
  }
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (i > 0) out.push(SPACE)
    out.push(fields[i]!, EQUALS, fields[i + 1]!)
  }
  out.push(NEWLINE)
}

export function render (fields: EntryFields): Buffer {
  const out: Buffer[] = []
  renderInto(fields, out)
  return Buffer.concat(out)
}

/**
 * The message an entry holds, to store it again elsewhere (a dead letter): its payload, or for
 * an entry another client added without one, its rendered line.
 */
export function messageOf (fields: EntryFields): Message {
  const { payload, verbatim } = shapeOf(fields)
  if (payload !== undefined) return { payload, verbatim }
  const line = render(fields)
  return { payload: line.subarray(0, line.length - 1), verbatim: false }
}
