import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';
import type { ConsoleSettings, Session } from './auth.js';
import { describe } from './problem.js';

export interface ConsoleContext {
  readonly settings: ConsoleSettings;
  readonly session: Session;
  readonly api: Api;
  /** The caller's jurisdiction (of their token's region). */
  readonly jurisdiction: string;
  /** Regions of that jurisdiction: the logs this person may read. */
  readonly myRegions: readonly string[];
}

export const Context = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Context);
  if (value === null) throw new Error('outside the console');
  return value;
}

export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'failed'; readonly error: unknown }
  | { readonly state: 'done'; readonly value: T };

/** Runs `load` whenever `key` changes; a stale answer never replaces a newer one. */
export function useLoad<T>(key: string, load: () => Promise<T>): [Loaded<T>, () => void] {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setResult({ state: 'loading' });
    load().then(
      (value) => {
        if (current) setResult({ state: 'done', value });
      },
      (error: unknown) => {
        if (current) setResult({ state: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
  }, [key, round]);
  return [
    result,
    () => {
      setRound((n) => n + 1);
    },
  ];
}

export function Show<T>(props: {
  loaded: Loaded<T>;
  what: string;
  children: (value: T) => ComponentChildren;
}): ComponentChildren {
  const { loaded } = props;
  if (loaded.state === 'loading')
    return (
      <p role="status" class="muted">
        Loading {props.what}…
      </p>
    );
  if (loaded.state === 'failed') return <ErrorNote error={loaded.error} />;
  return props.children(loaded.value);
}

export function ErrorNote(props: { error: unknown }) {
  return (
    <p role="alert" class="error">
      {describe(props.error)}
    </p>
  );
}

export function time(iso: string | null | undefined): string {
  if (iso == null) return '—';
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function age(iso: string | null): string {
  if (iso === null) return '—';
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return `${String(seconds)} s ago`;
  if (seconds < 7200) return `${String(Math.round(seconds / 60))} min ago`;
  return `${String(Math.round(seconds / 3600))} h ago`;
}

export function RegionSelect(props: {
  value: string;
  regions: readonly string[];
  onChange: (region: string) => void;
  id?: string;
}) {
  const id = props.id ?? 'region';
  return (
    <div class="field">
      <label for={id}>Region</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => {
          props.onChange(e.currentTarget.value);
        }}
      >
        {props.regions.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
    </div>
  );
}
