import { useState } from 'preact/hooks';
import { href, navigate } from '../route.js';
import { ErrorNote, RegionSelect, Show, time, useConsole, useLoad } from '../ui.js';

interface BreakGlassItem {
  readonly decisionId: string;
  readonly loggedAt: string;
  readonly service: string;
  readonly action: string;
  readonly purpose: string | null;
  readonly subjectIds: readonly string[];
  readonly review: { by: string; note: string; at: string; decisionId: string } | null;
}

/** Break-glass decisions to review; marking one reviewed is itself a logged decision. */
export function ReviewsView(props: { query: Readonly<Record<string, string>> }) {
  const { api, myRegions } = useConsole();
  const region = props.query['region'] ?? myRegions[0] ?? '';
  const status = props.query['status'] ?? 'pending';
  const [items, reload] = useLoad(`${region}/${status}`, () =>
    api.get<{ items: BreakGlassItem[] }>('/v1/audit/reviews', { region, status }),
  );
  return (
    <section aria-labelledby="reviews-title">
      <h1 id="reviews-title">Break-glass reviews</h1>
      <div class="filters">
        <RegionSelect
          value={region}
          regions={myRegions}
          onChange={(r) => {
            navigate(['reviews'], { region: r, status });
          }}
        />
        <div class="field">
          <label for="f-show">Show</label>
          <select
            id="f-show"
            value={status}
            onChange={(e) => {
              navigate(['reviews'], { region, status: e.currentTarget.value });
            }}
          >
            <option value="pending">to review</option>
            <option value="reviewed">reviewed</option>
            <option value="all">all</option>
          </select>
        </div>
      </div>
      <Show loaded={items} what="break-glass decisions">
        {(value) =>
          value.items.length === 0 ? (
            <p role="status" class="muted">
              Nothing {status === 'pending' ? 'to review' : 'here'}.
            </p>
          ) : (
            <ul class="queue">
              {value.items.map((item) => (
                <ReviewItem key={item.decisionId} item={item} region={region} onDone={reload} />
              ))}
            </ul>
          )
        }
      </Show>
    </section>
  );
}

function ReviewItem(props: { item: BreakGlassItem; region: string; onDone: () => void }) {
  const { api } = useConsole();
  const { item } = props;
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const noteId = `note-${item.decisionId}`;
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/v1/audit/reviews', {
        region: props.region,
        decisionId: item.decisionId,
        note,
      });
      props.onDone();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="card">
      <p>
        <a href={href(['decisions', props.region, item.decisionId])}>{time(item.loggedAt)}</a>:{' '}
        {item.service} — {item.action} ({item.purpose ?? 'none'}) on{' '}
        <span class="mono">{item.subjectIds.join(', ') || '—'}</span>
      </p>
      {item.review === null ? (
        <form onSubmit={(e) => void submit(e)}>
          <label for={noteId}>Review note</label>
          <textarea
            id={noteId}
            required
            maxLength={2000}
            value={note}
            onInput={(e) => {
              setNote(e.currentTarget.value);
            }}
          />
          <button type="submit" disabled={busy || note.trim() === ''}>
            Mark reviewed
          </button>
          {error !== null && <ErrorNote error={error} />}
        </form>
      ) : (
        <p class="muted">
          Reviewed by {item.review.by} {time(item.review.at)}: “{item.review.note}” (
          <a href={href(['decisions', props.region, item.review.decisionId])}>
            the review’s decision
          </a>
          )
        </p>
      )}
    </li>
  );
}
