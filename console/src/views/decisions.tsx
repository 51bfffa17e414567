import { useState } from 'preact/hooks';
import { href, navigate } from '../route.js';
import { ErrorNote, Show, time, useConsole, useLoad } from '../ui.js';

/** A decision-log entry as the search returns it. */
export interface Entry {
  readonly decision_id: string;
  readonly timestamp: string;
  readonly region: string;
  readonly leaf_index: number | null;
  readonly input: {
    readonly caller: { service: string; jurisdiction: string; region: string; roles: string[] };
    readonly action: string;
    readonly purpose: string | null;
    readonly resource?: { subject?: string; collection?: string; jurisdiction?: string };
  };
  readonly result: { allow: boolean; reasons: string[]; break_glass: boolean };
  readonly bundles: Record<string, { revision: string }>;
}

const FILTERS = [
  'subject',
  'service',
  'action',
  'purpose',
  'allowed',
  'breakGlass',
  'bundleRevision',
  'callerJurisdiction',
  'from',
  'to',
] as const;

const ACTIONS = [
  'read',
  'list',
  'write',
  'delete',
  'query',
  'subject.create',
  'subject.read',
  'subject.erase',
  'case.open',
  'case.read',
  'case.approve',
  'case.close',
  'case.list',
  'audit.read',
  'audit.review',
  'audit.cosign',
  'policy.read',
];

/** The search's query string: the filters of the URL, times as ISO 8601. */
function apiQuery(query: Readonly<Record<string, string>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { region: query['region'] };
  for (const name of FILTERS) {
    const value = query[name];
    if (value === undefined || value === '') continue;
    out[name] = name === 'from' || name === 'to' ? new Date(`${value}Z`).toISOString() : value;
  }
  return out;
}

export function DecisionsView(props: { query: Readonly<Record<string, string>> }) {
  const { api, myRegions } = useConsole();
  const region = props.query['region'] ?? myRegions[0] ?? '';
  const query: Record<string, string> = { ...props.query, region };
  const key = JSON.stringify(query);
  // Newest first unless the link says otherwise: what was just done is what is looked for.
  const order = query['order'] === 'oldest' ? 'oldest' : 'newest';
  const [page] = useLoad(key, () =>
    api.get<{ items: Entry[]; nextCursor: string | null }>('/v1/audit/decisions', {
      ...apiQuery(query),
      order,
      cursor: query['cursor'],
      limit: '50',
    }),
  );
  const [exportError, setExportError] = useState<unknown>(null);
  const [exporting, setExporting] = useState(false);

  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next: Record<string, string> = {};
    for (const [name, value] of form.entries())
      if (typeof value === 'string') next[name] = value.trim();
    navigate(['decisions'], next);
  };

  const download = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const blob = await api.blob('/v1/audit/export', apiQuery(query));
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `decisions-${region}-${new Date().toISOString().slice(0, 19)}.ndjson`;
      link.click();
      setTimeout(() => {
        URL.revokeObjectURL(link.href);
      }, 10_000);
    } catch (error) {
      setExportError(error);
    } finally {
      setExporting(false);
    }
  };

  // The form edits a draft of the URL's filters (controlled, so a re-render keeps what was
  // typed); a new URL starts a new draft.
  const [draft, setDraft] = useState<{ key: string; values: Record<string, string> }>({
    key,
    values: query,
  });
  const values = draft.key === key ? draft.values : query;
  const v = (name: string) => values[name] ?? '';
  const edit = (event: Event) => {
    const target = event.target as HTMLInputElement | HTMLSelectElement;
    if (target.name !== '') setDraft({ key, values: { ...values, [target.name]: target.value } });
  };

  return (
    <section aria-labelledby="decisions-title">
      <h1 id="decisions-title">Decisions</h1>
      <form class="filters" onSubmit={submit} onInput={edit} aria-label="Search filters">
        <div class="field">
          <label for="f-region">Region</label>
          <select id="f-region" name="region" value={v('region')}>
            {myRegions.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-subject">Subject</label>
          <input id="f-subject" name="subject" value={v('subject')} placeholder="s1.us-east-1.…" />
        </div>
        <div class="field">
          <label for="f-service">Caller service</label>
          <input
            id="f-service"
            name="service"
            value={v('service')}
            placeholder="svc:feed or user:…"
          />
        </div>
        <div class="field">
          <label for="f-action">Action</label>
          <select id="f-action" name="action" value={v('action')}>
            <option value="">any</option>
            {ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-purpose">Purpose</label>
          <input
            id="f-purpose"
            name="purpose"
            value={v('purpose')}
            placeholder="service-delivery"
          />
        </div>
        <div class="field">
          <label for="f-allowed">Outcome</label>
          <select id="f-allowed" name="allowed" value={v('allowed')}>
            <option value="">any</option>
            <option value="true">allowed</option>
            <option value="false">denied</option>
          </select>
        </div>
        <div class="field">
          <label for="f-breakGlass">Break-glass</label>
          <select id="f-breakGlass" name="breakGlass" value={v('breakGlass')}>
            <option value="">any</option>
            <option value="true">break-glass only</option>
            <option value="false">not break-glass</option>
          </select>
        </div>
        <div class="field">
          <label for="f-bundleRevision">Bundle revision</label>
          <input id="f-bundleRevision" name="bundleRevision" value={v('bundleRevision')} />
        </div>
        <div class="field">
          <label for="f-callerJurisdiction">Caller jurisdiction</label>
          <input
            id="f-callerJurisdiction"
            name="callerJurisdiction"
            value={v('callerJurisdiction')}
            placeholder="US"
          />
        </div>
        <div class="field">
          <label for="f-from">From (UTC)</label>
          <input id="f-from" type="datetime-local" name="from" value={v('from')} step="1" />
        </div>
        <div class="field">
          <label for="f-to">To (UTC)</label>
          <input id="f-to" type="datetime-local" name="to" value={v('to')} step="1" />
        </div>
        <div class="field">
          <label for="f-order">Order</label>
          <select id="f-order" name="order" value={v('order') || 'newest'}>
            <option value="newest">newest first</option>
            <option value="oldest">oldest first</option>
          </select>
        </div>
        <div class="actions">
          <button type="submit">Search</button>
          <a href={href(['decisions'], { region: region })}>Clear</a>
          <button type="button" onClick={() => void download()} disabled={exporting}>
            {exporting ? 'Exporting…' : 'Export NDJSON'}
          </button>
        </div>
      </form>
      {exportError !== null && <ErrorNote error={exportError} />}
      <Show loaded={page} what="decisions">
        {(value) => (
          <>
            <p class="muted" role="status">
              {value.items.length === 0
                ? 'No decisions match.'
                : `${String(value.items.length)} decision${value.items.length === 1 ? '' : 's'}${query['cursor'] === undefined ? '' : ' (a later page)'}.`}
            </p>
            {value.items.length > 0 && <DecisionTable items={value.items} order={order} />}
            <nav class="pager" aria-label="Pages">
              {query['cursor'] !== undefined && (
                <a href={href(['decisions'], { ...query, cursor: undefined })}>First page</a>
              )}
              {value.nextCursor !== null && (
                <a href={href(['decisions'], { ...query, cursor: value.nextCursor })}>Next page</a>
              )}
            </nav>
          </>
        )}
      </Show>
    </section>
  );
}

function DecisionTable(props: { items: readonly Entry[]; order: 'oldest' | 'newest' }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">Matching decisions, {props.order} first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Caller</th>
            <th scope="col">Action</th>
            <th scope="col">Purpose</th>
            <th scope="col">Subject</th>
            <th scope="col">Outcome</th>
            <th scope="col">Leaf</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((e) => (
            <tr key={e.decision_id}>
              <td>
                <a href={href(['decisions', e.region, e.decision_id])}>{time(e.timestamp)}</a>
              </td>
              <td>
                {e.input.caller.service}
                <span class="muted"> ({e.input.caller.jurisdiction})</span>
              </td>
              <td>{e.input.action}</td>
              <td>{e.input.purpose ?? '—'}</td>
              <td class="mono">{e.input.resource?.subject ?? '—'}</td>
              <td>
                <Outcome allow={e.result.allow} breakGlass={e.result.break_glass} />
                <span class="muted"> {e.result.reasons.join(', ')}</span>
              </td>
              <td>{e.leaf_index ?? 'pending'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Outcome(props: { allow: boolean; breakGlass: boolean }) {
  return (
    <>
      <span class={props.allow ? 'badge ok' : 'badge bad'}>
        {props.allow ? 'allowed' : 'denied'}
      </span>
      {props.breakGlass && <span class="badge warn">break-glass</span>}
    </>
  );
}
