import { useState } from 'preact/hooks';
import { href } from '../route.js';
import { ErrorNote, Show, age, time, useConsole, useLoad } from '../ui.js';

interface LogHealth {
  readonly region: string;
  readonly jurisdiction: string;
  readonly treeSize: number;
  readonly signedAt: string | null;
  readonly cosignedBy: readonly string[];
  readonly pending: number;
  readonly lagSeconds: number;
  readonly lastVerification: {
    at: string;
    by: string;
    ok: boolean;
    treeSize: number;
    problem: string | null;
    firstBadIndex: number | null;
  } | null;
}

interface Verification {
  readonly ok: boolean;
  readonly treeSize: number;
  readonly problem?: string;
  readonly firstBadIndex?: number;
  readonly atTreeSize?: number;
  readonly detail?: string;
  readonly cannotRuleOut?: string;
}

export function HealthView() {
  const { myRegions, jurisdiction } = useConsole();
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">Log health</h1>
      <p class="muted">
        The transparency logs of {jurisdiction}: signed checkpoints, witnesses, integration, and a
        full verification of every leaf on demand.
      </p>
      <div class="cards">
        {myRegions.map((region) => (
          <RegionHealth key={region} region={region} />
        ))}
      </div>
    </section>
  );
}

function RegionHealth(props: { region: string }) {
  const { api } = useConsole();
  const [health, reload] = useLoad(props.region, () =>
    api.get<LogHealth>('/v1/audit/health', { region: props.region }),
  );
  const [running, setRunning] = useState<{
    seconds: number;
    checked: number;
    total: number;
  } | null>(null);
  const [report, setReport] = useState<Verification | null>(null);
  const [error, setError] = useState<unknown>(null);

  const verify = async () => {
    const started = Date.now();
    let progress = { seconds: 0, checked: 0, total: 0 };
    setRunning(progress);
    setReport(null);
    setError(null);
    const timer = setInterval(() => {
      progress = { ...progress, seconds: Math.round((Date.now() - started) / 1000) };
      setRunning(progress);
    }, 500);
    try {
      // Set by the callback; a holder, since TypeScript does not follow assignments in callbacks.
      const final: { report: Verification | null } = { report: null };
      await api.postLines('/v1/audit/verify/progress', { region: props.region }, (line) => {
        const value = line as { checked?: number; total?: number; report?: Verification };
        if (value.report !== undefined) final.report = value.report;
        else if (value.checked !== undefined && value.total !== undefined) {
          progress = { ...progress, checked: value.checked, total: value.total };
          setRunning(progress);
        }
      });
      if (final.report === null)
        throw new Error('The verification broke off before its report; run it again.');
      setReport(final.report);
      reload();
    } catch (failure) {
      setError(failure);
    } finally {
      clearInterval(timer);
      setRunning(null);
    }
  };

  const titleId = `health-${props.region}`;
  return (
    <article class="card" aria-labelledby={titleId} data-region={props.region}>
      <h2 id={titleId}>{props.region}</h2>
      <Show loaded={health} what={`${props.region} health`}>
        {(h) => (
          <dl class="facts">
            <dt>Latest checkpoint</dt>
            <dd>
              {h.treeSize} leaves, signed {age(h.signedAt)}
            </dd>
            <dt>Integration</dt>
            <dd class={h.lagSeconds > 10 ? 'error' : ''}>
              {h.pending === 0
                ? 'up to date'
                : `${String(h.pending)} waiting, oldest ${String(h.lagSeconds)} s`}
            </dd>
            <dt>Witnesses</dt>
            <dd>
              {h.cosignedBy.length === 0
                ? 'no cosignature on the latest checkpoint'
                : h.cosignedBy.join(', ')}
            </dd>
            <dt>Last full verification</dt>
            <dd>
              {h.lastVerification === null
                ? 'never'
                : `${h.lastVerification.ok ? 'intact' : `FAILED (${h.lastVerification.problem ?? 'problem'}${h.lastVerification.firstBadIndex === null ? '' : ` at leaf ${String(h.lastVerification.firstBadIndex)}`})`}, ${String(h.lastVerification.treeSize)} leaves, ${time(h.lastVerification.at)} by ${h.lastVerification.by}`}
            </dd>
          </dl>
        )}
      </Show>
      <button type="button" onClick={() => void verify()} disabled={running !== null}>
        Verify the whole log
      </button>
      {running !== null && (
        <p role="status">
          <progress
            aria-label={`Verifying ${props.region}`}
            {...(running.total > 0 ? { value: running.checked, max: running.total } : {})}
          />{' '}
          {running.total > 0
            ? `${String(running.checked)} of ${String(running.total)} leaves checked`
            : 'Recomputing every leaf, the tree and the checkpoints…'}{' '}
          ({running.seconds} s)
        </p>
      )}
      {error !== null && <ErrorNote error={error} />}
      {report !== null && (
        <div
          role="status"
          class={report.ok ? 'verdict ok' : 'verdict bad'}
          data-testid="verify-result"
        >
          {report.ok ? (
            <p>✔ Intact: {report.treeSize} leaves verified.</p>
          ) : (
            <>
              <p>
                ✘ Not intact: {report.problem}
                {report.firstBadIndex === undefined
                  ? ''
                  : ` — first divergence at leaf index ${String(report.firstBadIndex)}`}
                {report.atTreeSize === undefined
                  ? ''
                  : ` (at tree size ${String(report.atTreeSize)})`}
              </p>
              {report.detail !== undefined && <p>{report.detail}</p>}
              {report.firstBadIndex !== undefined && (
                <LeafLink region={props.region} index={report.firstBadIndex} />
              )}
            </>
          )}
          {report.cannotRuleOut !== undefined && (
            <p class="muted">Cannot rule out: {report.cannotRuleOut}</p>
          )}
          <p>
            <a href={href(['decisions'], { region: props.region })}>Search this log</a>
          </p>
        </div>
      )}
    </article>
  );
}

/** The decision stored at a leaf index (as the store has it now), to open it. */
function LeafLink(props: { region: string; index: number }) {
  const { api } = useConsole();
  const [found] = useLoad(`${props.region}/${String(props.index)}`, () =>
    api.get<{ entries: { entry: { decision_id?: string } }[] }>('/v1/audit/entries', {
      region: props.region,
      start: String(props.index),
      count: '1',
    }),
  );
  if (found.state !== 'done') return null;
  const id = found.value.entries[0]?.entry.decision_id;
  return id === undefined ? (
    <p>The store has no entry at leaf {props.index}.</p>
  ) : (
    <p>
      <a href={href(['decisions', props.region, id])}>
        Open the entry at leaf {props.index} and check its receipt
      </a>
    </p>
  );
}
