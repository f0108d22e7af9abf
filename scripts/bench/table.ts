export interface Baseline {
  name: string
  value: number
}

export interface Row {
  id: string
  workload: string
  unit: string
  fs: number
  baselines: Baseline[]
  /** Higher is better (throughput) or lower is better (time). */
  higherIsBetter: boolean
}

/** Above 1: dnpipes does better than the baseline. */
export const ratio = (row: Row, baseline: Baseline): number => row.higherIsBetter ? row.fs / baseline.value : baseline.value / row.fs

/** A ratio as the table prints it: "∞" when dnpipes's figure is 0 where lower is better (C1 can be). */
const shown = (value: number): string => Number.isFinite(value) ? value.toFixed(2) : '∞'

/** The rows in the order they were measured, each logged to stderr as it comes in. */
export class Table {
  private readonly rows: Row[] = []

  record (row: Row): void {
    this.rows.push(row)
    const against = row.baselines.map(b => `${b.name} ${b.value.toFixed(2)} (${shown(ratio(row, b))}x)`).join(', ')
    console.error(`${row.id} ${row.workload}: ${row.fs.toFixed(2)} ${row.unit} vs ${against}`)
  }

  /** A Markdown table on stdout, one line per baseline. */
  print (runs: number): void {
    console.log('| id | workload | dnpipes | baseline | baseline figure | ratio |')
    console.log('| --- | --- | --- | --- | --- | --- |')
    for (const row of this.rows) {
      row.baselines.forEach((baseline, i) => {
        const head = i === 0 ? `| ${row.id} | ${row.workload} | ${row.fs.toFixed(2)} ${row.unit}` : '| | |'
        console.log(`${head} | ${baseline.name} | ${baseline.value.toFixed(2)} ${row.unit} | ${shown(ratio(row, baseline))}x |`)
      })
    }
    console.log(`\nratio > 1: dnpipes does better than that baseline; medians of ${runs} run(s).`)
  }
}
