import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  SIGNATURE_TYPE,
  checkpointText,
  noteKey,
  signNote,
  verifierKey,
  type NoteKey,
} from './signed-note.js';

/** The origin line (and key name) of a region's log: `residency-gateway/<region>`. */
export function originOf(region: string): string {
  return `residency-gateway/${region}`;
}

/**
 * Signs each region's checkpoints with the gateway's Ed25519 checkpoint key, as C2SP signed
 * notes whose key name is the region's origin. One key may serve several regions (their key
 * ids differ by name); in the cell topology each cell has its own.
 */
export class CheckpointSigner {
  private readonly keys = new Map<string, NoteKey>();

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {}

  /** Reads an Ed25519 PKCS#8 PEM private key; anything else is refused. */
  static fromFile(file: string): CheckpointSigner {
    const privateKey = createPrivateKey(readFileSync(file));
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new Error('audit checkpoints are signed with Ed25519 (C2SP signed notes)');
    }
    return new CheckpointSigner(privateKey, createPublicKey(privateKey));
  }

  keyFor(region: string): NoteKey {
    let key = this.keys.get(region);
    if (key === undefined) {
      key = noteKey(originOf(region), SIGNATURE_TYPE.ed25519, this.publicKey);
      this.keys.set(region, key);
    }
    return key;
  }

  /** The region's verifier key (`<origin>+<key id>+<key>`), what auditors and witnesses pin. */
  verifierKey(region: string): string {
    return verifierKey(this.keyFor(region));
  }

  /** A signed c2sp.org/tlog-checkpoint note for the region's tree of `size` with `root`. */
  sign(region: string, size: number, root: Buffer): string {
    const text = checkpointText({ origin: originOf(region), size, root });
    return signNote(text, this.keyFor(region), this.privateKey);
  }
}

/** A dev checkpoint key (Ed25519 PEM) for local runs and tests; production brings its own. */
export function ensureDevCheckpointKey(file: string): void {
  if (existsSync(file)) {
    // Keys made before checkpoints became signed notes may be P-256: replace them.
    if (createPrivateKey(readFileSync(file)).asymmetricKeyType === 'ed25519') return;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(file, 0o600);
}
