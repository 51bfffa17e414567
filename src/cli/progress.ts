/**
 * Progress of a long CLI job on stderr: count, rate and ETA. A bar redrawn in place on a
 * terminal; a plain line every few seconds otherwise (CI logs, pipes).
 */
export class ProgressReporter {
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number, elapsedMs: number, final = false): void {
    const now = Date.now();
    if (!final && !this.stream.isTTY && now - this.lastLine < 2000) return;
    this.lastLine = now;
    const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
    const remaining = Math.max(total - done, 0);
    const eta = rate > 0 ? `${(remaining / rate).toFixed(0)} s` : '—';
    const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    const text = `${this.label} ${String(done)}/${String(total)} (${String(percent)}%) ${rate.toFixed(0)}/s ETA ${eta}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round((percent / 100) * width);
      this.stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}${final ? '\n' : ''}`,
      );
    } else {
      this.stream.write(`${text}\n`);
    }
  }
}
