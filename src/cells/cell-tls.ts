import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../platform/config/config.error.js';
import type { CellConfig } from '../platform/config/gateway-config.js';
import { regionOfCertificate } from './cell-identity.js';

/** This cell's TLS material, as read from its files and checked. */
export interface CellTlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  readonly notAfter: Date;
  /** Of the three files' contents: changes when any of them does. */
  readonly digest: string;
}

/**
 * Reads the cell's certificate, key and CA and checks that the certificate names (exactly) a
 * region this process serves, chains to the CA and is valid now — otherwise every peer would
 * refuse it at the first call. {@link ConfigError} naming the problem.
 */
export function loadCellTls(cell: CellConfig, localRegions: readonly string[]): CellTlsMaterial {
  let cert: Buffer;
  let key: Buffer;
  let ca: Buffer;
  let certificate: X509Certificate;
  let authority: X509Certificate;
  try {
    cert = readFileSync(cell.certFile);
    key = readFileSync(cell.keyFile);
    ca = readFileSync(cell.caFile);
    certificate = new X509Certificate(cert);
    authority = new X509Certificate(ca);
  } catch {
    throw new ConfigError([
      'GATEWAY_CELL_CERT_FILE / GATEWAY_CELL_KEY_FILE / GATEWAY_CELL_CA_FILE: unreadable or not PEM',
    ]);
  }
  const named = regionOfCertificate({ subjectaltname: certificate.subjectAltName ?? '' });
  if (named === undefined || !localRegions.includes(named))
    throw new ConfigError([
      `GATEWAY_CELL_CERT_FILE names cell ${named ?? '(none)'}; this cell serves ${localRegions.join(', ')}`,
    ]);
  if (!certificate.checkIssued(authority) || !certificate.verify(authority.publicKey))
    throw new ConfigError(['GATEWAY_CELL_CERT_FILE is not issued by GATEWAY_CELL_CA_FILE']);
  const now = Date.now();
  const notAfter = new Date(certificate.validTo);
  if (Date.parse(certificate.validFrom) > now || notAfter.getTime() < now)
    throw new ConfigError([
      `GATEWAY_CELL_CERT_FILE is not valid now (valid ${certificate.validFrom} to ${certificate.validTo})`,
    ]);
  const digest = createHash('sha256').update(cert).update(key).update(ca).digest('hex');
  return { cert, key, ca, notAfter, digest };
}

/**
 * Re-reads the cell's TLS files every `intervalMs` and hands over new material when they
 * changed and check out (cert-manager renews a certificate in place), so a cell keeps talking
 * to its peers across renewals without a restart. Material that does not check out is
 * reported and not used; the material in use stays.
 */
export class CellTlsWatcher {
  private readonly timer: NodeJS.Timeout;
  private digest: string;

  constructor(
    cell: CellConfig,
    localRegions: readonly string[],
    current: CellTlsMaterial,
    onChange: (material: CellTlsMaterial) => void,
    onProblem: (problem: string) => void,
  ) {
    this.digest = current.digest;
    this.timer = setInterval(() => {
      let next: CellTlsMaterial;
      try {
        next = loadCellTls(cell, localRegions);
      } catch (error) {
        onProblem(error instanceof ConfigError ? error.problems.join('; ') : 'unreadable');
        return;
      }
      if (next.digest === this.digest) return;
      this.digest = next.digest;
      onChange(next);
    }, cell.tlsReloadMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
