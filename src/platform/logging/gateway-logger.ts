import type { LoggerService } from '@nestjs/common';
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { GatewayConfig } from '../config/gateway-config.js';
import { describeError } from './describe-error.js';

const LEVELS: Record<GatewayConfig['logLevel'], string> = {
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
};

/**
 * Keys that must never reach a log line even if a caller passes an object that has them. The
 * real rule is upstream (log region codes, request and decision ids, never subject ids or
 * data); this is the backstop.
 */
const REDACTED = [
  'authorization',
  'token',
  'password',
  'databaseUrl',
  'data',
  '*.authorization',
  '*.token',
  '*.password',
  '*.databaseUrl',
  '*.data',
];

/**
 * The gateway's root logger (pino): one JSON line per event in production, readable lines
 * locally (`GATEWAY_LOG_FORMAT=pretty`). Lines about a request carry its `requestId`, passed
 * explicitly from the request's context (an AsyncLocalStorage would do it implicitly, at the
 * price of a hook on every promise of every request). `destination` replaces stdout (tests
 * capture lines with it).
 */
export function createRootLogger(
  config: Pick<GatewayConfig, 'logLevel' | 'logFormat' | 'instanceId'>,
  destination?: DestinationStream,
): Logger {
  const stream =
    destination ??
    (config.logFormat === 'pretty'
      ? pretty({
          sync: true,
          colorize: false,
          messageKey: 'message',
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,instance',
        })
      : pino.destination({ sync: false }));
  return pino(
    {
      level: LEVELS[config.logLevel],
      messageKey: 'message',
      base: { instance: config.instanceId },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED, censor: '[redacted]' },
    },
    stream,
  );
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Nest's LoggerService on top of pino, for Nest itself and every `new Logger(context)` in the
 * code. Objects are logged as fields; errors as their class, code and stack frames only (an
 * error message can quote a driver's SQL parameters, which must not reach a log).
 */
export class GatewayLogger implements LoggerService {
  constructor(readonly root: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    // Nest passes the context last, and an error's stack before it.
    const rest = [...params];
    const context = typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const stack = typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    if (stack !== undefined) fields['frames'] = framesOf(stack);
    if (message instanceof Error) {
      this.root[level]({ ...fields, error: describeError(message) }, message.name);
    } else if (typeof message === 'object' && message !== null) {
      const { message: text, ...other } = message as Record<string, unknown>;
      this.root[level]({ ...fields, ...other }, typeof text === 'string' ? text : '');
    } else {
      this.root[level](fields, String(message));
    }
  }
}

/** The `at ...` lines of a stack: its first line repeats the error message. */
function framesOf(stack: string): string[] {
  return stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 8)
    .map((line) => line.trim());
}
