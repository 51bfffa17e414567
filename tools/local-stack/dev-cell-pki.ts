import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate as NodeCertificate, webcrypto } from 'node:crypto';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { cellIdentityUri } from '../../src/cells/cell-identity.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

// Node's WebCrypto types (the project does not load the DOM typings @peculiar/x509 names).
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** Where one cell's TLS material lives: its certificate, its key and the CA every cell trusts. */
export interface CellTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

interface Authority {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importPkcs8(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decode(pem)[0] as ArrayBuffer,
    ALGORITHM,
    true,
    ['sign'],
  );
}

async function loadOrCreateAuthority(dir: string, name: string): Promise<Authority> {
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca.key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const certificate = new x509.X509Certificate(readFileSync(certFile, 'utf8'));
    const privateKey = await importPkcs8(readFileSync(keyFile, 'utf8'));
    const publicKey = await webcrypto.subtle.importKey(
      'spki',
      certificate.publicKey.rawData,
      ALGORITHM,
      true,
      ['verify'],
    );
    if (certificate.notAfter.getTime() - Date.now() > 30 * DAY_MS) {
      return { certificate, keys: { privateKey, publicKey } };
    }
  }
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  writeFileSync(keyFile, await pkcs8Pem(keys.privateKey), { mode: 0o600 });
  writeFileSync(certFile, certificate.toString('pem'));
  return { certificate, keys };
}

async function issueCellCertificate(
  authority: Authority,
  region: string,
  files: { certFile: string; keyFile: string },
): Promise<void> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    subject: `CN=residency-gateway cell ${region}`,
    issuer: authority.certificate.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 365 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // Each cell is both a server (to peers calling it) and a client (calling peers).
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      new x509.SubjectAlternativeNameExtension([
        { type: 'url', value: cellIdentityUri(region) },
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  writeFileSync(files.keyFile, await pkcs8Pem(keys.privateKey), { mode: 0o600 });
  writeFileSync(files.certFile, certificate.toString('pem'));
}

/**
 * A development CA under `dir` (created once, kept) and a certificate per region naming it
 * (`spiffe://residency-gateway/cell/<region>`), made when missing or when the CA changed.
 * Production cells get theirs from the company's CA (cert-manager; see infra/README.md).
 */
export async function ensureDevCellPki(
  dir: string,
  regions: readonly string[],
  caName = 'residency-gateway development cell CA',
): Promise<ReadonlyMap<string, CellTlsFiles>> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const authority = await loadOrCreateAuthority(dir, caName);
  const caFile = join(dir, 'ca.pem');
  const result = new Map<string, CellTlsFiles>();
  for (const region of regions) {
    const certFile = join(dir, `${region}.pem`);
    const keyFile = join(dir, `${region}.key.pem`);
    if (!issuedBy(certFile, authority) || !existsSync(keyFile)) {
      await issueCellCertificate(authority, region, { certFile, keyFile });
    }
    result.set(region, { certFile, keyFile, caFile });
  }
  return result;
}

function issuedBy(certFile: string, authority: Authority): boolean {
  if (!existsSync(certFile)) return false;
  const certificate = new x509.X509Certificate(readFileSync(certFile, 'utf8'));
  if (certificate.notAfter.getTime() - Date.now() < 7 * DAY_MS) return false;
  // Same issuer name is not enough: a CA regenerated under the same name signs with a new key.
  const ca = new NodeCertificate(Buffer.from(authority.certificate.rawData));
  return new NodeCertificate(Buffer.from(certificate.rawData)).verify(ca.publicKey);
}
