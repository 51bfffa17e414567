import type { DestinationStream } from 'pino';

/**
 * A log destination that keeps every line the gateway writes, so tests can assert what reaches
 * the logs (and what must never: subject ids, record values, keys). Set TEST_ECHO_LOGS=1 to
 * print them as well.
 */
export class CapturingLogger implements DestinationStream {
  readonly lines: string[] = [];
  private readonly echo = process.env['TEST_ECHO_LOGS'] === '1';

  write(line: string): void {
    this.lines.push(line.trimEnd());
    if (this.echo) process.stdout.write(line);
  }

  text(): string {
    return this.lines.join('\n');
  }

  /** The lines as parsed JSON objects. */
  entries(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}
