import type { LoggerService } from '@nestjs/common';

/**
 * Keeps every line the gateway logs, so tests can assert what reaches the logs (and what must
 * never: subject ids, record values, keys). Set TEST_ECHO_LOGS=1 to print them as well.
 */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private readonly echo = process.env['TEST_ECHO_LOGS'] === '1';

  log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }

  text(): string {
    return this.lines.join('\n');
  }

  private push(level: string, message: unknown, rest: unknown[]): void {
    const line = JSON.stringify({ level, message, rest }, (_key, value: unknown) =>
      value instanceof Error
        ? { name: value.name, message: value.message, stack: value.stack }
        : value,
    );
    this.lines.push(line);
    if (this.echo) process.stdout.write(`${line}\n`);
  }
}
