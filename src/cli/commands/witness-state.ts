import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** What a witness remembers about one log: the latest checkpoint it verified and cosigned. */
export interface WitnessState {
  readonly origin: string;
  /** The log's verifier key, pinned at the first run. */
  readonly logKey: string;
  /** The witness's own key name. */
  readonly witnessName: string;
  readonly size: number;
  /** Base64 root hash at `size`. */
  readonly root: string;
  /** The checkpoint note as the log signed it. */
  readonly checkpoint: string;
  readonly updatedAt: string;
}

export function readWitnessState(file: string): WitnessState | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as WitnessState;
}

/** Replaces the state atomically: a crash never leaves half a state behind. */
export function writeWitnessState(file: string, state: WitnessState): void {
  const staging = `${file}.${String(process.pid)}.tmp`;
  writeFileSync(staging, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(staging, file);
}
