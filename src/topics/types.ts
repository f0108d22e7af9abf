/** The values the topic layer hands out and takes, shared by its modules and by its engines. */

import type { Message } from '../framing/message'

/**
 * Owner, group and permission bits (with setuid, setgid and sticky: mode & 0o7777) stored with
 * a topic or directory. Each is absent for entries made before they were stored: the mount then
 * shows its defaults (--uid, --gid, --umask).
 */
export interface Ownership {
  owner?: number
  group?: number
  mode?: number
}

/** What chmod, chown and chgrp change: only the fields given. */
export type OwnershipChange = Ownership

/** Who a new topic or directory belongs to and the permission bits it gets. */
export interface Creator {
  owner: number
  group: number
  mode: number
}

/**
 * How much of a topic is kept: the newest messages, their rendered bytes, their age (from
 * their ids' time). Each limit is absent when not set; with several, the strictest wins.
 */
export interface RetentionLimits {
  messages?: number
  bytes?: number
  seconds?: number
}

/** What `retain` changes: a number sets a limit, null lifts it, an absent one stays as it is. */
export type RetentionChange = { [K in keyof RetentionLimits]?: number | null }

export interface TopicStat extends Ownership {
  kind: 'topic'
  /** Identity of this incarnation of the topic: a topic removed and created again differs. */
  uid: string
  /** Bytes a full read returns now. */
  size: number
  entries: number
  mtimeMs: number
  ctimeMs: number
  /** Reset generation: changes whenever the topic is reset. */
  gen: string
  lastId: string
  /** The topic's own limits (a mount's defaults apply to a topic with none). */
  retention: RetentionLimits
  /** Messages scheduled (delayed delivery) that have not entered yet: not in `size` or `entries`. */
  scheduled: number
  /** The topic's own delay: every message pushed to it waits this long before it enters. */
  delayMs?: number
}

export interface DirectoryStat extends Ownership {
  kind: 'directory'
  /** When an entry was last added, removed or renamed in it; absent for older directories. */
  mtimeMs?: number
  /** When that, or its ownership, last changed. */
  ctimeMs?: number
}

export type PathStat = TopicStat | DirectoryStat

export interface DirectoryEntry {
  name: string
  kind: 'topic' | 'directory'
}

/**
 * What an engine says with a page about reading the next one cheaply: the reader hands it back
 * with its next request and never looks inside. (The Redis engine's is where its offset index
 * says the next page can end: topics/redis/pages/ranged-pages.ts.)
 */
export type PageHint = object

export interface ReadRequest {
  gen: string
  /**
   * Where the reader's offset 0 is, in bytes after the first entry since the last reset
   * (ReadPage.base); undefined for the oldest entry kept now, which retention moves on.
   */
  base?: number
  offset: number
  /** Id of the last entry the reader already has, and the byte offset right after it. */
  afterId: string
  afterPos: number
  maxBytes: number
  /** The previous page's hint (ReadPage.hint), for a reader that continues where it ended. */
  hint?: PageHint
}

export interface ReadPage {
  /** Identity of the topic the page is from (see TopicStat.uid). */
  uid: string
  gen: string
  /** The reader's offset 0 the page's offsets count from (ReadRequest.base). */
  base: number
  /** Byte offset where `data` starts (the end of the topic when it is empty). */
  firstPos: number
  /** Id of the last entry in `data`; "" when there is none. */
  lastId: string
  /** The rendered bytes of whole entries. */
  data: Buffer
  /** How many entries `data` holds. */
  count: number
  /** For the page after this one: see PageHint. */
  hint?: PageHint
}

export interface FollowPage {
  /** Identity of the topic now: differs from the follower's when it was removed and recreated. */
  uid: string
  /** Id of the last entry in `data`; "" when there is none. */
  lastId: string
  data: Buffer
  count: number
  /** With no entries: what a wait needs to know of the scheduled messages (engines that need it). */
  schedule?: Schedule
}

/**
 * What a reader about to wait knows of a topic's scheduled messages (delayed delivery): its
 * wait ends when the earliest is due, or when one is scheduled earlier than that (announced
 * after `announced`).
 */
export interface Schedule {
  /** Ms until the earliest scheduled message is due; undefined when none is scheduled. */
  dueInMs?: number
  /** The engine's mark of the last announcement of an earlier due time ("0-0" for none yet). */
  announced: string
}

/** Why a wait for new entries ended: there may be some, the topic was removed or replaced, or the wait was cancelled. */
export type WakeReason = 'data' | 'gone' | 'aborted'

/**
 * How a wait for entries ends: a reason, or ('data') the entries that woke it, when the engine
 * had them at hand and knows they are the waiter's topic's, so that no read is needed.
 */
export type Woken = WakeReason | FollowPage

/** How a consumer group hands out a topic's messages (see group-reader.ts). */
export interface GroupPolicy {
  /** A message handed out and neither acknowledged nor held this long goes to another reader. */
  visibilityMs: number
  /** After this many deliveries without an acknowledgement a message moves to TOPIC.dead. */
  maxDeliveries: number
}

/** What one claim of a consumer group's next message found. */
/** A new message claimed for a consumer ahead of the read that will take it. */
export interface ClaimedAhead {
  id: string
  data: Buffer
}

export type Claim =
  /**
   * A message for this consumer: its id, its rendered bytes and how often it was handed out;
   * with the new messages claimed ahead for its other reads, if any were asked for (each
   * handed out once, now).
   */
  | { kind: 'message', uid: string, id: string, data: Buffer, deliveries: number, ahead?: ClaimedAhead[] }
  /** A message handed out too often: to be moved to TOPIC.dead, then acknowledged. */
  | { kind: 'dead', uid: string, id: string, deliveries: number, message: Message }
  /**
   * Nothing to hand out: wait for an entry after `lastId`, or until `retryInMs` has passed,
   * when a message another reader holds may become claimable (absent when none is held).
   */
  | { kind: 'none', uid: string, lastId: string, retryInMs?: number, schedule?: Schedule }

/** A consumer group of a topic, as `dnpipes stat` shows it (XINFO GROUPS). */
export interface GroupInfo {
  name: string
  consumers: number
  /** Messages handed out and not acknowledged yet. */
  pending: number
  /** Messages not handed out yet; undefined when Redis cannot tell (after a reset or an XDEL). */
  lag: number | undefined
  lastDeliveredId: string
}
