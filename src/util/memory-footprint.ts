import v8 from 'node:v8'

/*
 * Imported first by the command line (src/cli.ts), for its side effect: V8's young generation
 * keeps the size it starts with (two semi-spaces of 1 MiB), where a burst of allocation (10 000
 * topics created, listed or stat'ed at once) would grow it to two of 16 MiB and keep them: 30 MiB
 * of the daemon's resident memory for what is garbage within milliseconds. V8 reads the growth
 * factor each time it would grow the space, so setting it once the process runs holds (the
 * largest size itself is fixed when the heap is made); set later than first, loading the modules
 * has grown it already.
 */
v8.setFlagsFromString('--semi-space-growth-factor=1')
