import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mintDevToken } from '../../auth/dev-tokens.js';
import { DEFAULT_AUDIENCE } from '../../platform/config/config.loader.js';
import { verifyConsistency } from '../../audit-log/merkle.js';
import {
  SIGNATURE_TYPE,
  cosignatureLine,
  noteKey,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  verifierKey,
} from '../../audit-log/signed-note.js';
import { LOCAL_STATE_DIR } from '../../platform/paths.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { readWitnessState, writeWitnessState } from './witness-state.js';

export interface WitnessOptions {
  readonly region: string;
  readonly gateway: string;
  readonly state: string;
  readonly key: string;
  readonly name?: string;
  readonly logKey?: string;
  readonly tokenFile?: string;
}

class Refusal extends Error {}

/**
 * `audit witness`: one witnessing round for a region's log. Fetches the latest checkpoint,
 * checks it is signed by the pinned log key, proves it consistent with the last checkpoint this
 * witness saw (RFC 9162 consistency proof), and only then cosigns it (C2SP tlog-cosignature
 * `cosignature/v1`) and posts the cosignature back. A smaller tree (a rollback), another root
 * at the same size (a fork) or a failed proof is refused loudly, exit 1, and the state is kept.
 */
export async function auditWitness(options: WitnessOptions): Promise<number> {
  const state = readWitnessState(options.state);
  const logKeyText = options.logKey ?? state?.logKey;
  if (options.logKey !== undefined && state !== undefined && state.logKey !== options.logKey)
    throw new UsageError('--log-key differs from the key pinned in the witness state');
  const witnessName = options.name ?? state?.witnessName;
  if (witnessName === undefined) throw new UsageError('the first run needs --name <witness name>');
  const privateKey = createPrivateKey(readFileSync(options.key));
  const witness = noteKey(witnessName, SIGNATURE_TYPE.cosignatureV1, createPublicKey(privateKey));
  const token = await bearerToken(options);
  const api = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    const response = await fetch(new URL(path, options.gateway), { ...init, headers });
    if (!response.ok && response.status !== 201)
      throw new Error(
        `${path.split('?')[0] ?? path} answered ${String(response.status)}: ${await response.text()}`,
      );
    return response;
  };
  const region = encodeURIComponent(options.region);

  let logKey;
  if (logKeyText === undefined) {
    const listed = (await (await api(`/v1/audit/checkpoints?region=${region}`)).json()) as {
      regions: { verifierKey: string }[];
    };
    const fetched = listed.regions[0]?.verifierKey;
    if (fetched === undefined) throw new Error('the gateway published no verifier key');
    process.stderr.write(
      `note: trusting the log key ${fetched} on first use; pin it with --log-key in production\n`,
    );
    logKey = parseVerifierKey(fetched);
  } else {
    logKey = parseVerifierKey(logKeyText);
  }

  const note = await (await api(`/v1/audit/checkpoint?region=${region}`)).text();
  try {
    let opened;
    try {
      opened = openNote(note, logKey);
    } catch {
      throw new Refusal(`the checkpoint is not signed by the pinned log key ${logKey.name}`);
    }
    const checkpoint = parseCheckpoint(opened.text);
    if (checkpoint.origin !== logKey.name)
      throw new Refusal(`the checkpoint is of ${checkpoint.origin}, not ${logKey.name}`);
    if (state !== undefined) {
      const seenRoot = Buffer.from(state.root, 'base64');
      if (checkpoint.size < state.size)
        throw new Refusal(
          `ROLLBACK: the log now has ${String(checkpoint.size)} leaves; this witness saw ${String(state.size)}`,
        );
      if (checkpoint.size === state.size && !checkpoint.root.equals(seenRoot))
        throw new Refusal(
          `FORK: a second, different checkpoint of size ${String(checkpoint.size)}`,
        );
      if (checkpoint.size > state.size && state.size > 0) {
        const proof = (await (
          await api(
            `/v1/audit/proofs/consistency?region=${region}&from=${String(state.size)}&to=${String(checkpoint.size)}`,
          )
        ).json()) as { hashes: string[] };
        const hashes = proof.hashes.map((hash) => Buffer.from(hash, 'base64'));
        if (!verifyConsistency(state.size, checkpoint.size, seenRoot, checkpoint.root, hashes))
          throw new Refusal(
            `INCONSISTENT: size ${String(checkpoint.size)} does not extend the size ${String(state.size)} this witness saw`,
          );
      }
    }
    const logSigned = `${opened.text}\n${opened.signatures
      .filter((s) => s.name === logKey.name)
      .map((s) => s.line)
      .join('')}`;
    const line = cosignatureLine(opened.text, witness, privateKey, Math.floor(Date.now() / 1000));
    await api('/v1/audit/cosignatures', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ region: options.region, note: logSigned + line }),
    });
    writeWitnessState(options.state, {
      origin: checkpoint.origin,
      logKey: verifierKey(logKey),
      witnessName,
      size: checkpoint.size,
      root: checkpoint.root.toString('base64'),
      checkpoint: logSigned,
      updatedAt: new Date().toISOString(),
    });
    process.stdout.write(
      `${JSON.stringify({ ok: true, origin: checkpoint.origin, treeSize: checkpoint.size, previousSize: state?.size ?? 0, witness: witnessName })}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    process.stderr.write(
      `\n*** WITNESS REFUSES TO COSIGN ${logKey.name} ***\n${error.message}\n\n`,
    );
    process.stdout.write(`${JSON.stringify({ ok: false, problem: error.message })}\n`);
    return EXIT.failed;
  }
}

/** `audit witness-key`: a new Ed25519 witness key (PEM) and its cosignature/v1 verifier key. */
export function auditWitnessKey(options: { readonly name: string; readonly out: string }): number {
  if (existsSync(options.out)) throw new UsageError(`${options.out} exists; not overwriting a key`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(options.out, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  process.stdout.write(
    `${verifierKey(noteKey(options.name, SIGNATURE_TYPE.cosignatureV1, publicKey))}\n`,
  );
  return EXIT.ok;
}

/** A token from --token-file, or a dev auditor token when running against the local stack. */
async function bearerToken(options: WitnessOptions): Promise<string> {
  if (options.tokenFile !== undefined) return readFileSync(options.tokenFile, 'utf8').trim();
  const keys = join(LOCAL_STATE_DIR, 'keys');
  if (!existsSync(join(keys, 'dev-signing-key.jwk.json')))
    throw new UsageError('pass --token-file <a token with the auditor role>');
  return mintDevToken(keys, {
    service: `svc:witness:${hostname()}`,
    region: options.region,
    roles: ['auditor'],
    audience: DEFAULT_AUDIENCE,
    ttlSeconds: 300,
  });
}
