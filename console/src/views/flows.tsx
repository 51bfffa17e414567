import { navigate } from '../route.js';
import { Show, useConsole, useLoad } from '../ui.js';

interface FlowCell {
  readonly at: string;
  readonly callerJurisdiction: string;
  readonly purpose: string;
  readonly total: number;
  readonly denied: number;
}

interface Flows {
  readonly region: string;
  readonly dataJurisdiction: string;
  readonly from: string;
  readonly to: string;
  readonly cells: readonly FlowCell[];
}

interface Flow {
  readonly key: string;
  readonly total: number;
  readonly denied: number;
  readonly byBucket: Map<string, number>;
}

/** Every bucket start from the answer's `from` to its `to` (empty buckets are bars of 0). */
function bucketTimes(flows: Flows | undefined, bucket: 'hour' | 'day'): string[] {
  if (flows === undefined) return [];
  const step = bucket === 'hour' ? 3_600_000 : 86_400_000;
  const start = Math.floor(new Date(flows.from).getTime() / step) * step;
  const end = new Date(flows.to).getTime();
  const out: string[] = [];
  for (let t = start; t < end && out.length < 800; t += step) out.push(new Date(t).toISOString());
  return out;
}

const COLORS = [
  '#2b6cb0',
  '#c05621',
  '#2f855a',
  '#6b46c1',
  '#b83280',
  '#2c7a7b',
  '#975a16',
  '#4a5568',
];

/** Decisions by caller jurisdiction → data jurisdiction and purpose over time, with deny rates. */
export function FlowsView(props: { query: Readonly<Record<string, string>> }) {
  const { api, myRegions } = useConsole();
  const bucket = props.query['bucket'] === 'day' ? 'day' : 'hour';
  const [loaded] = useLoad(`${bucket}/${myRegions.join(',')}`, async () =>
    Promise.all(myRegions.map((region) => api.get<Flows>('/v1/audit/flows', { region, bucket }))),
  );
  return (
    <section aria-labelledby="flows-title">
      <h1 id="flows-title">Flows</h1>
      <div class="filters">
        <div class="field">
          <label for="f-buckets">Buckets</label>
          <select
            id="f-buckets"
            value={bucket}
            onChange={(e) => {
              navigate(['flows'], { bucket: e.currentTarget.value });
            }}
          >
            <option value="hour">hours (last 24)</option>
            <option value="day">days (last 24)</option>
          </select>
        </div>
      </div>
      <Show loaded={loaded} what="flows">
        {(all) => <FlowChart all={all} bucket={bucket} />}
      </Show>
    </section>
  );
}

function FlowChart(props: { all: readonly Flows[]; bucket: 'hour' | 'day' }) {
  const { bucket } = props;
  const flows = new Map<string, Flow>();
  const buckets = new Set<string>();
  for (const region of props.all) {
    for (const cell of region.cells) {
      const key = `${cell.callerJurisdiction} → ${region.dataJurisdiction} · ${cell.purpose}`;
      const flow = flows.get(key) ?? {
        key,
        total: 0,
        denied: 0,
        byBucket: new Map<string, number>(),
      };
      flows.set(key, {
        ...flow,
        total: flow.total + cell.total,
        denied: flow.denied + cell.denied,
        byBucket: flow.byBucket.set(cell.at, (flow.byBucket.get(cell.at) ?? 0) + cell.total),
      });
      buckets.add(cell.at);
    }
  }
  const ordered = [...flows.values()].sort((a, b) => b.total - a.total);
  if (ordered.length === 0) return <p class="muted">No decisions in this period.</p>;
  const times = bucketTimes(props.all[0], bucket);
  for (const t of buckets) if (!times.includes(t)) times.push(t);
  times.sort();
  const [width, height, left, bottom] = [720, 200, 44, 22];
  const slot = (width - left) / Math.max(1, times.length);
  const barWidth = Math.max(2, slot - 2);
  const max = Math.max(
    1,
    ...times.map((t) => ordered.reduce((n, f) => n + (f.byBucket.get(t) ?? 0), 0)),
  );
  const label = (iso: string | undefined) =>
    iso === undefined
      ? ''
      : bucket === 'day'
        ? iso.slice(5, 10)
        : iso.slice(5, 16).replace('T', ' ');
  return (
    <>
      <figure>
        <svg
          role="img"
          aria-labelledby="flows-chart-title"
          viewBox={`0 0 ${String(width)} ${String(height + bottom)}`}
          class="chart"
        >
          <title id="flows-chart-title">
            Decisions per {bucket}, stacked by flow (caller jurisdiction → data jurisdiction,
            purpose); the table below has the numbers
          </title>
          <line x1={left - 4} y1={height} x2={width} y2={height} class="grid" />
          <text x={left - 8} y="12" class="axis" text-anchor="end">
            {max}
          </text>
          <text x={left - 8} y={height} class="axis" text-anchor="end">
            0
          </text>
          {times.map((t, i) => {
            let y = height;
            return (
              <g key={t} transform={`translate(${(left + i * slot).toFixed(1)},0)`}>
                {ordered.map((flow, fi) => {
                  const n = flow.byBucket.get(t) ?? 0;
                  if (n === 0) return null;
                  const h = (n / max) * (height - 14);
                  y -= h;
                  return (
                    <rect
                      key={flow.key}
                      x="0"
                      y={y}
                      width={barWidth}
                      height={h}
                      fill={COLORS[fi % COLORS.length]}
                    >
                      <title>{`${label(t)}: ${flow.key}: ${String(n)}`}</title>
                    </rect>
                  );
                })}
              </g>
            );
          })}
          <text x={left} y={height + 16} class="axis">
            {label(times[0])}
          </text>
          <text x={width} y={height + 16} class="axis" text-anchor="end">
            {label(times.at(-1))}
          </text>
        </svg>
        <figcaption class="muted">
          Times in UTC; each bar is one {bucket}, stacked by flow (colours as in the table).
        </figcaption>
      </figure>
      <div class="table-wrap">
        <table>
          <caption>Flows in the period, busiest first</caption>
          <thead>
            <tr>
              <th scope="col">Flow</th>
              <th scope="col">Decisions</th>
              <th scope="col">Denied</th>
              <th scope="col">Deny rate</th>
            </tr>
          </thead>
          <tbody>
            {ordered.map((flow, fi) => (
              <tr key={flow.key}>
                <td>
                  <span
                    class="swatch"
                    style={{ background: COLORS[fi % COLORS.length] }}
                    aria-hidden="true"
                  />{' '}
                  {flow.key}
                </td>
                <td>{flow.total}</td>
                <td>{flow.denied}</td>
                <td class={flow.denied / flow.total > 0.2 ? 'error' : ''}>
                  {((flow.denied / flow.total) * 100).toFixed(1)} %
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
