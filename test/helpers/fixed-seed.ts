import fc from 'fast-check'

/**
 * Loaded before every test file (tap's `node-arg` in package.json): every property test draws
 * its cases from one fixed seed, so that a run is repeatable and CI meets the cases a developer
 * met. `FC_SEED=n npm test` explores others; a failure prints the seed and the counterexample.
 */
const FIXED_SEED = 20261123

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? FIXED_SEED) })
