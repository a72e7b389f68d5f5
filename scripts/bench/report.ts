/** The benchmark's output: a plain-text table per scenario, or everything as JSON. */
import type { ScenarioResult } from './comparison.ts';

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';

/** The row's store messages per unit by command, most frequent first (`find grants 2.00, …`). */
function formatCommands(row: ScenarioResult['rows'][number]): string | undefined {
  if (!row.storeCommands || row.completed === 0) return undefined;
  const entries = Object.entries(row.storeCommands).sort(([, a], [, b]) => b - a);
  if (entries.length === 0) return undefined;
  return entries
    .map(([command, count]) => `${command} ${fixed(count / row.completed, 2)}`)
    .join(', ');
}

export function formatTable(results: readonly ScenarioResult[]): string {
  const lines: string[] = [];
  const header = [
    'target'.padEnd(16),
    'rate'.padStart(9),
    'unit'.padEnd(7),
    'p50 ms'.padStart(8),
    'p99 ms'.padStart(8),
    'cpu ms/unit'.padStart(12),
    'per cpu-s'.padStart(10),
    'store ms'.padStart(9),
    'store rt'.padStart(9),
    'peak RSS'.padStart(9),
    'idle RSS'.padStart(9),
    'failed'.padStart(7),
  ].join(' ');
  for (const result of results) {
    lines.push('', `${result.name}: ${result.description}`, header);
    for (const row of result.rows) {
      lines.push(
        [
          row.target.padEnd(16),
          fixed(row.rate, row.unit === 'req' ? 0 : 1).padStart(9),
          `${row.unit}/s`.padEnd(7),
          fixed(row.p50Ms, 2).padStart(8),
          fixed(row.p99Ms, 2).padStart(8),
          fixed(row.cpuMsPerUnit, 3).padStart(12),
          fixed(1000 / row.cpuMsPerUnit, row.unit === 'req' ? 0 : 1).padStart(10),
          fixed(row.storeCpuMsPerUnit ?? NaN, 3).padStart(9),
          fixed(row.storeRoundTripsPerUnit ?? NaN, 2).padStart(9),
          `${fixed(row.peakRssMb, 0)} MB`.padStart(9),
          `${fixed(row.idleRssMb, 0)} MB`.padStart(9),
          String(row.failures).padStart(7),
        ].join(' '),
      );
    }
    const ratios = Object.entries(result.ratios).map(
      ([name, value]) => `${name} ${fixed(value, 2)}`,
    );
    if (ratios.length > 0)
      lines.push(`  ratio (Tessera / baseline unless named): ${ratios.join(', ')}`);
    for (const note of result.notes) lines.push(`  note: ${note}`);
    for (const row of result.rows) {
      const breakdown = formatCommands(row);
      if (breakdown) lines.push(`  note: ${row.target} store rt per ${row.unit}: ${breakdown}`);
    }
    for (const row of result.rows) {
      if (row.failures > 0) lines.push(`  ${row.target} statuses: ${JSON.stringify(row.statuses)}`);
    }
  }
  return lines.join('\n');
}
