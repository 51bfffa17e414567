import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  SIGNATURE_TYPE,
  checkpointText,
  cosignatureLine,
  noteKey,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  verifierKey,
  verifyCosignature,
} from './signed-note.js';

describe('C2SP signed notes, checkpoints and cosignatures', () => {
  it('verifies the signed-note specification’s own example', () => {
    const key = parseVerifierKey(
      'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
    );
    const note =
      'This is an example message.\n\n' +
      '— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    assert.equal(openNote(note, key).text, 'This is an example message.\n');
    assert.throws(() => openNote(note.replace('example message', 'exampel message'), key));
  });

  it('reads verifier keys whose base64 material holds a plus sign', () => {
    for (let i = 0; i < 40; i++) {
      const { publicKey } = generateKeyPairSync('ed25519');
      const key = noteKey('residency-gateway/eu-central-1', SIGNATURE_TYPE.ed25519, publicKey);
      assert.ok(parseVerifierKey(verifierKey(key)).raw.equals(key.raw));
    }
  });

  it('signs checkpoints that round-trip through their verifier key, ignoring other signers', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const key = noteKey('residency-gateway/us-east-1', SIGNATURE_TYPE.ed25519, publicKey);
    const vkey = verifierKey(key);
    assert.match(vkey, /^residency-gateway\/us-east-1\+[0-9a-f]{8}\+A[Q-f]/);
    const root = Buffer.alloc(32, 7);
    const note = signNote(checkpointText({ origin: key.name, size: 12, root }), key, privateKey);
    const opened = openNote(note, parseVerifierKey(vkey));
    assert.deepEqual(parseCheckpoint(opened.text), { origin: key.name, size: 12, root });

    const witness = generateKeyPairSync('ed25519');
    const witnessKey = noteKey(
      'witness.example/w1',
      SIGNATURE_TYPE.cosignatureV1,
      witness.publicKey,
    );
    const cosigned =
      note + cosignatureLine(opened.text, witnessKey, witness.privateKey, 1_700_000_000);
    assert.equal(
      verifyCosignature(cosigned, parseVerifierKey(verifierKey(witnessKey))),
      1_700_000_000,
    );
    assert.equal(
      openNote(cosigned, key).text,
      opened.text,
      'a cosignature is an unknown line to the log key',
    );

    const other = generateKeyPairSync('ed25519');
    const impostor = noteKey('witness.example/w1', SIGNATURE_TYPE.cosignatureV1, other.publicKey);
    assert.throws(() => verifyCosignature(cosigned, impostor));
    assert.throws(() => openNote(note.replace('\n12\n', '\n13\n'), key), /does not verify/);
  });
});
