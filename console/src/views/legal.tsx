import { useState } from 'preact/hooks';
import { navigate } from '../route.js';
import { ErrorNote, RegionSelect, Show, time, useConsole, useLoad } from '../ui.js';

interface LegalRequest {
  readonly id: string;
  readonly status: 'open' | 'approved' | 'closed';
  readonly subjectIds: readonly string[];
  readonly reference: string | null;
  readonly openedBy: string;
  readonly openedAt: string;
  readonly approvedBy: string | null;
  readonly requester: string | null;
  readonly requesterJurisdiction: string | null;
  readonly expiresAt: string | null;
}

/** Legal requests: list, open, approve (two people), close. The policy decides every step. */
export function LegalView(props: { query: Readonly<Record<string, string>> }) {
  const { api, myRegions } = useConsole();
  const region = props.query['region'] ?? myRegions[0] ?? '';
  const status = props.query['status'] ?? '';
  const [list, reload] = useLoad(`${region}/${status}`, () =>
    api.get<{ items: LegalRequest[] }>('/v1/cases', {
      region,
      kind: 'legal-request',
      status: status === '' ? undefined : status,
    }),
  );
  return (
    <section aria-labelledby="legal-title">
      <h1 id="legal-title">Legal requests</h1>
      <div class="filters">
        <RegionSelect
          value={region}
          regions={myRegions}
          onChange={(r) => {
            navigate(['legal'], { region: r, status });
          }}
        />
        <div class="field">
          <label for="f-status">Status</label>
          <select
            id="f-status"
            value={status}
            onChange={(e) => {
              navigate(['legal'], { region, status: e.currentTarget.value });
            }}
          >
            <option value="">any</option>
            <option value="open">open</option>
            <option value="approved">approved</option>
            <option value="closed">closed</option>
          </select>
        </div>
      </div>
      <OpenRequest onOpened={reload} />
      <Show loaded={list} what="legal requests">
        {(value) =>
          value.items.length === 0 ? (
            <p role="status" class="muted">
              No legal requests.
            </p>
          ) : (
            <ul class="queue">
              {value.items.map((item) => (
                <RequestItem key={item.id} item={item} onChanged={reload} />
              ))}
            </ul>
          )
        }
      </Show>
    </section>
  );
}

function OpenRequest(props: { onOpened: () => void }) {
  const { api, jurisdiction } = useConsole();
  const [error, setError] = useState<unknown>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const element = event.currentTarget as HTMLFormElement;
    const form = new FormData(element);
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value.trim() : '';
    };
    setError(null);
    try {
      const created = await api.post<LegalRequest>('/v1/cases', {
        kind: 'legal-request',
        subjectIds: field('subjects')
          .split(/[\s,]+/)
          .filter((s) => s !== ''),
        requester: field('requester'),
        requesterJurisdiction: field('requesterJurisdiction') || jurisdiction,
        ...(field('reference') === '' ? {} : { reference: field('reference') }),
      });
      setOpened(created.id);
      element.reset();
      props.onOpened();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <details class="card">
      <summary>Open a legal request</summary>
      <form class="filters" onSubmit={(e) => void submit(e)} aria-label="Open a legal request">
        <div class="field">
          <label for="f-subjects">Subjects (one region)</label>
          <input id="f-subjects" name="subjects" required placeholder="s1.us-east-1.…" />
        </div>
        <div class="field">
          <label for="f-requester">Requester service (who may use the approval)</label>
          <input id="f-requester" name="requester" required placeholder="svc:legal-us" />
        </div>
        <div class="field">
          <label for="f-requesterJurisdiction">Requester jurisdiction</label>
          <input
            id="f-requesterJurisdiction"
            name="requesterJurisdiction"
            placeholder={jurisdiction}
          />
        </div>
        <div class="field">
          <label for="f-reference">External reference</label>
          <input id="f-reference" name="reference" placeholder="LR-2026-001" />
        </div>
        <div class="actions">
          <button type="submit">Open request</button>
        </div>
      </form>
      {opened !== null && (
        <p role="status">
          Opened <span class="mono">{opened}</span>. Another legal reviewer must approve it.
        </p>
      )}
      {error !== null && <ErrorNote error={error} />}
    </details>
  );
}

function RequestItem(props: { item: LegalRequest; onChanged: () => void }) {
  const { api } = useConsole();
  const { item } = props;
  const [error, setError] = useState<unknown>(null);
  const act = async (action: 'approve' | 'close') => {
    setError(null);
    try {
      await api.post(`/v1/cases/${encodeURIComponent(item.id)}/${action}`, {});
      props.onChanged();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <li class="card" data-case={item.id}>
      <p>
        <span
          class={`badge ${item.status === 'approved' ? 'warn' : item.status === 'open' ? '' : 'muted'}`}
        >
          {item.status}
        </span>{' '}
        <span class="mono">{item.id}</span>
        {item.reference === null ? '' : ` · ${item.reference}`}
      </p>
      <p>
        Subjects <span class="mono">{item.subjectIds.join(', ')}</span>; opened by {item.openedBy}{' '}
        {time(item.openedAt)}; for {item.requester ?? '—'} in {item.requesterJurisdiction ?? '—'}{' '}
        until {time(item.expiresAt)}
        {item.approvedBy === null ? '' : `; approved by ${item.approvedBy}`}
      </p>
      <div class="actions">
        {item.status === 'open' && (
          <button type="button" onClick={() => void act('approve')}>
            Approve
          </button>
        )}
        {item.status !== 'closed' && (
          <button type="button" onClick={() => void act('close')}>
            Close
          </button>
        )}
      </div>
      {error !== null && <ErrorNote error={error} />}
    </li>
  );
}
