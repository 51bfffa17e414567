import { useEffect, useState } from 'preact/hooks';
import {
  checkAgainstSeen,
  verifyReceipt,
  type Receipt,
  type ReceiptVerdict,
  type SeenCheckpoint,
} from '../receipt.js';
import { href } from '../route.js';
import { ErrorNote, Show, time, useConsole, useLoad } from '../ui.js';
import { Outcome, type Entry } from './decisions.js';

interface FullEntry extends Entry {
  readonly result: Entry['result'] & { fields: Record<string, string> };
  readonly custom?: { bundle_build: number };
}

const PIN_PREFIX = 'rg.verifier-key.';
/** The largest checkpoint of each region this browser verified. */
const SEEN_PREFIX = 'rg.checkpoint.';

/**
 * The region's verifier key the console trusts: the one it saw first for the region (kept in
 * this browser), so a server that swaps keys later is caught. A key that changed is reported,
 * never silently accepted.
 */
function trustedKey(region: string, served: string): { key: string; changed: boolean } {
  const pinned = localStorage.getItem(PIN_PREFIX + region);
  if (pinned === null) {
    localStorage.setItem(PIN_PREFIX + region, served);
    return { key: served, changed: false };
  }
  return { key: pinned, changed: pinned !== served };
}

async function loadReceipt(
  get: (path: string, query: Record<string, string>) => Promise<{ status: number; body: unknown }>,
  region: string,
  id: string,
): Promise<Receipt> {
  // 202 while the decision waits for the next signed checkpoint (about a second).
  for (let attempt = 0; attempt < 20; attempt++) {
    const { status, body } = await get(`/v1/audit/receipts/${encodeURIComponent(id)}`, { region });
    if (status === 200) return body as Receipt;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('The decision is logged but not in a signed checkpoint yet; reload shortly.');
}

export function DecisionView(props: { region: string; id: string }) {
  const { api } = useConsole();
  const [receipt] = useLoad(`${props.region}/${props.id}`, async () => {
    const found = await loadReceipt((p, q) => api.getWithStatus(p, q), props.region, props.id);
    const checkpoints = await api.get<{ regions: { region: string; verifierKey: string }[] }>(
      '/v1/audit/checkpoints',
      { region: props.region },
    );
    const served = checkpoints.regions[0]?.verifierKey ?? found.verifierKey;
    const pinned = trustedKey(props.region, served);
    return { receipt: found, trusted: pinned.key, changed: pinned.changed };
  });
  return (
    <section aria-labelledby="decision-title">
      <p>
        <a href={href(['decisions'], { region: props.region })}>← Decisions of {props.region}</a>
      </p>
      <h1 id="decision-title">Decision</h1>
      <p class="mono">{props.id}</p>
      <Show loaded={receipt} what="the decision and its receipt">
        {(value) => <DecisionDetail {...value} />}
      </Show>
    </section>
  );
}

function DecisionDetail(props: { receipt: Receipt; trusted: string; changed: boolean }) {
  const { receipt } = props;
  const entry = JSON.parse(
    new TextDecoder().decode(Uint8Array.from(atob(receipt.leaf), (c) => c.charCodeAt(0))),
  ) as FullEntry;
  const masked = Object.entries(entry.result.fields).filter(([, action]) => action !== 'allow');
  return (
    <div class="detail">
      <ReceiptCheck receipt={receipt} trusted={props.trusted} changed={props.changed} />
      <dl class="facts">
        <dt>Time</dt>
        <dd>{time(entry.timestamp)}</dd>
        <dt>Outcome</dt>
        <dd>
          <Outcome allow={entry.result.allow} breakGlass={entry.result.break_glass} />
        </dd>
        <dt>Reasons</dt>
        <dd>{entry.result.reasons.join(', ') || '—'}</dd>
        <dt>Caller</dt>
        <dd>
          {entry.input.caller.service} in {entry.input.caller.region} (
          {entry.input.caller.jurisdiction}), roles {entry.input.caller.roles.join(', ')}
        </dd>
        <dt>Action, purpose</dt>
        <dd>
          {entry.input.action}, {entry.input.purpose ?? 'none'}
        </dd>
        <dt>Masked fields</dt>
        <dd>
          {masked.length === 0
            ? 'none'
            : masked.map(([field, action]) => `${field} (${action})`).join(', ')}
        </dd>
        <dt>Bundle revision</dt>
        <dd class="mono">
          {Object.values(entry.bundles)[0]?.revision ?? '—'}
          {entry.custom === undefined ? '' : ` (build ${String(entry.custom.bundle_build)})`}
        </dd>
        <dt>Region, leaf index</dt>
        <dd>
          {receipt.region}, leaf {receipt.leafIndex}
        </dd>
      </dl>
      <h2>Input</h2>
      <pre tabIndex={0} aria-label="Policy input (JSON)">
        {JSON.stringify(entry.input, null, 2)}
      </pre>
      <h2>Result</h2>
      <pre tabIndex={0} aria-label="Policy result (JSON)">
        {JSON.stringify(entry.result, null, 2)}
      </pre>
    </div>
  );
}

function ReceiptCheck(props: { receipt: Receipt; trusted: string; changed: boolean }) {
  const [verdict, setVerdict] = useState<ReceiptVerdict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { api } = useConsole();
  useEffect(() => {
    const region = props.receipt.region;
    const check = async (): Promise<ReceiptVerdict> => {
      const verdict = await verifyReceipt(props.receipt, props.trusted);
      if (!verdict.ok || verdict.treeSize === undefined || verdict.rootHash === undefined)
        return verdict;
      const key = SEEN_PREFIX + region;
      const seen = JSON.parse(localStorage.getItem(key) ?? 'null') as SeenCheckpoint | null;
      const { step, remember } = await checkAgainstSeen(
        seen,
        { size: verdict.treeSize, root: verdict.rootHash },
        async (from, to) =>
          (
            await api.get<{ hashes: string[] }>('/v1/audit/proofs/consistency', {
              region,
              from: String(from),
              to: String(to),
            })
          ).hashes,
      );
      if (remember !== null) localStorage.setItem(key, JSON.stringify(remember));
      return { ...verdict, ok: step.ok, steps: [...verdict.steps, step] };
    };
    check().then(setVerdict, setError);
  }, [props.receipt, props.trusted, api]);
  if (error !== null) return <ErrorNote error={error} />;
  if (verdict === null)
    return (
      <p role="status" class="verdict pending">
        Verifying the receipt in your browser…
      </p>
    );
  return (
    <section
      class={verdict.ok ? 'verdict ok' : 'verdict bad'}
      aria-labelledby="verdict-title"
      aria-live="polite"
      data-testid="receipt-verdict"
    >
      <h2 id="verdict-title">{verdict.ok ? '✔ Receipt verified' : '✘ Receipt NOT verified'}</h2>
      <p>
        Checked in this browser with WebCrypto against the verifier key of {props.receipt.region}{' '}
        this browser trusts{props.changed ? '' : ' (pinned on first use)'}.
      </p>
      {props.changed && (
        <p role="alert" class="error">
          The gateway now serves another verifier key for {props.receipt.region} than the one pinned
          in this browser; the receipt was checked against the pinned key.
        </p>
      )}
      <ol>
        {verdict.steps.map((step) => (
          <li key={step.label} class={step.ok ? 'ok' : 'bad'}>
            {step.ok ? '✔' : '✘'} {step.label}
            {step.detail === undefined ? '' : `: ${step.detail}`}
          </li>
        ))}
      </ol>
    </section>
  );
}
