import v8 from 'node:v8'

/*
 * Imported first by the command line (src/cli.ts), for its side effects on V8's heap, which the
 * daemon's resident memory follows:
 *
 * - The young generation keeps the size it starts with (two semi-spaces of 1 MiB), where a burst
 *   of allocation (10 000 topics created, listed or stat'ed at once) would grow it to two of 16
 *   MiB and keep them: 30 MiB for what is garbage within milliseconds. V8 reads the growth
 *   factor each time it would grow the space, so setting it once the process runs holds (the
 *   largest size itself is fixed when the heap is made); set later than first, loading the
 *   modules has grown it already.
 * - The old generation may grow to twice what the last full collection left before the next
 *   one, where V8 by its own measure allows up to 4 times: a daemon that holds the stats of tens
 *   of thousands of topics then serves a long run of short requests (whose buffers and promises
 *   outlive a few scavenges) would otherwise carry tens of MiB of dead objects between
 *   collections. Twice, not less: each full collection costs in proportion to what is alive, and
 *   a tighter factor makes them more frequent for little less memory. V8 reads the factor
 *   whenever it sets the next limit.
 */
v8.setFlagsFromString('--semi-space-growth-factor=1')
v8.setFlagsFromString('--heap-growing-percent=100')
