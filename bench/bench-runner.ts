/** Tiny benchmark helpers: time-boxed loops, warm-up, and aligned printing. */
export interface Measurement {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly iterations: number;
}

/** Runs `op` repeatedly for about `ms` after a warm-up and reports operations per second. */
export async function measure(name: string, op: () => unknown, ms = 1500): Promise<Measurement> {
  const warmUntil = performance.now() + Math.min(300, ms / 4);
  while (performance.now() < warmUntil) await op();
  let iterations = 0;
  const started = performance.now();
  let now = started;
  while (now - started < ms) {
    for (let i = 0; i < 50; i++) await op();
    iterations += 50;
    now = performance.now();
  }
  return { name, iterations, opsPerSecond: (iterations / (now - started)) * 1000 };
}

export function printTable(rows: readonly (readonly string[])[]): void {
  const widths =
    rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ')}\n`);
  }
}

export function formatRate(opsPerSecond: number): string {
  return `${Math.round(opsPerSecond).toLocaleString('en-US')} ops/s`;
}
