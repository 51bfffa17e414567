import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isAlive } from './child-process.js';

export interface StackLockHolder {
  readonly pid: number;
  readonly url: string;
}

/**
 * A lock file so a second `npm start` says clearly that one is running instead of fighting
 * over ports and data folders. A lock left by a killed stack (dead pid) is taken over.
 */
export class StackLock {
  private constructor(private readonly file: string) {}

  static acquire(file: string, url: string): StackLock | StackLockHolder {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, JSON.stringify({ pid: process.pid, url }));
        closeSync(fd);
        return new StackLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = readHolder(file);
        if (holder !== undefined && isAlive(holder.pid)) return holder;
        rmSync(file, { force: true });
      }
    }
    throw new Error(`cannot take the lock ${file}`);
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}

function readHolder(file: string): StackLockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StackLockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.url === 'string'
      ? { pid: parsed.pid, url: parsed.url }
      : undefined;
  } catch {
    return undefined;
  }
}
