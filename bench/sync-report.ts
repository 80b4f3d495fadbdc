// The table bench/sync.ts ends with: each figure, its peer, the ratio and the goal.

export interface Figure {
  part: string;
  name: string;
  helio: string;
  peer: string;
  /** How Helio compares with the peer (higher is better for Helio); absent where there is no peer. */
  ratio?: number;
  goal: string;
  /** Absent: reported, not judged. */
  pass?: boolean;
  /** Why the figure is missing, when it is. */
  skipped?: string;
}

export function printReport(figures: readonly Figure[]): void {
  const header = ['part', 'figure', 'Helio', 'peer (same run)', 'ratio', 'goal', 'result'];
  const lines = figures.map((f) => [
    f.part,
    f.name,
    f.skipped ? '-' : f.helio,
    f.peer,
    f.ratio === undefined || !Number.isFinite(f.ratio) ? '-' : `${f.ratio.toFixed(2)}x`,
    f.goal,
    f.skipped ? 'NOT MEASURED' : f.pass === undefined ? '-' : f.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(render(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(render(l));
  for (const f of figures) if (f.skipped) console.log(`part ${f.part} not measured: ${f.skipped}`);
}
