import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { GatewayConfig } from '../config/gateway-config.js';

const LEVELS: Record<GatewayConfig['logLevel'], LogLevel[]> = {
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  info: ['fatal', 'error', 'warn', 'log'],
  warn: ['fatal', 'error', 'warn'],
  error: ['fatal', 'error'],
};

/**
 * The gateway's logger: JSON lines in production, readable text locally. What goes in is the
 * caller's responsibility: region codes, request and decision ids, never subject ids or data.
 */
export function createGatewayLogger(
  config: Pick<GatewayConfig, 'logLevel' | 'logFormat'>,
): ConsoleLogger {
  return new ConsoleLogger('Gateway', {
    json: config.logFormat === 'json',
    colors: false,
    logLevels: LEVELS[config.logLevel],
  });
}
