import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from './api.js';
import {
  completeSignIn,
  currentSession,
  forgetSession,
  signIn,
  signOut,
  type ConsoleSettings,
  type Session,
} from './auth.js';
import { href, parseRoute, type Route } from './route.js';
import { Context, ErrorNote, type ConsoleContext } from './ui.js';
import { DecisionView } from './views/decision.js';
import { DecisionsView } from './views/decisions.js';
import { FlowsView } from './views/flows.js';
import { HealthView } from './views/health.js';
import { LegalView } from './views/legal.js';
import { ReviewsView } from './views/reviews.js';

interface NavItem {
  readonly path: string;
  readonly label: string;
  readonly roles: readonly string[];
}

const NAV: readonly NavItem[] = [
  { path: 'decisions', label: 'Decisions', roles: ['auditor'] },
  { path: 'health', label: 'Log health', roles: ['auditor'] },
  { path: 'reviews', label: 'Reviews', roles: ['auditor'] },
  { path: 'flows', label: 'Flows', roles: ['auditor'] },
  { path: 'legal', label: 'Legal requests', roles: ['legal'] },
];

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => {
      setRoute(parseRoute(location.hash));
    };
    addEventListener('hashchange', onChange);
    return () => {
      removeEventListener('hashchange', onChange);
    };
  }, []);
  return route;
}

function App(props: { settings: ConsoleSettings; initialError: unknown }) {
  const { settings } = props;
  const [initial] = useState(() => currentSession());
  const [session, setSession] = useState<Session | null>(initial.session);
  const [expired, setExpired] = useState(initial.expired);
  const route = useRoute();

  // Sessions end when the access token does; the console says so and asks to sign in again.
  useEffect(() => {
    if (session === null) return;
    const timer = setTimeout(
      () => {
        forgetSession();
        setSession(null);
        setExpired(true);
      },
      Math.max(0, session.expiresAt - Date.now()),
    );
    return () => {
      clearTimeout(timer);
    };
  }, [session]);

  const context = useMemo((): ConsoleContext | null => {
    if (session === null) return null;
    const jurisdiction = settings.regions.find((r) => r.id === session.region)?.jurisdiction ?? '';
    return {
      settings,
      session,
      jurisdiction,
      myRegions: settings.regions.filter((r) => r.jurisdiction === jurisdiction).map((r) => r.id),
      api: new Api(session.accessToken, () => {
        forgetSession();
        setSession(null);
        setExpired(true);
      }),
    };
  }, [session, settings]);

  useEffect(() => {
    document.title = `${route.path[0] ?? 'Console'} · residency-gateway`;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [route]);

  if (context === null) {
    return (
      <main id="main" class="signin">
        <h1 tabIndex={-1}>residency-gateway console</h1>
        <p>
          For auditors, legal reviewers and privacy officers: search and verify the decision log,
          review break-glass access, handle legal requests.
        </p>
        {expired && (
          <p role="alert" class="error">
            Your session has ended. Sign in again to continue.
          </p>
        )}
        {props.initialError !== null && <ErrorNote error={props.initialError} />}
        {settings.signIn === null ? (
          <p class="error">
            Sign-in for people is not configured on this gateway (GATEWAY_OIDC_ISSUER and friends).
          </p>
        ) : (
          <button
            type="button"
            class="primary"
            onClick={() => void signIn(settings, location.hash)}
          >
            Sign in with {new URL(settings.signIn.issuer).host}
          </button>
        )}
      </main>
    );
  }

  const roles = context.session.roles;
  const nav = NAV.filter((item) => item.roles.some((r) => roles.includes(r)));
  const view = route.path[0] ?? nav[0]?.path ?? '';
  return (
    <Context.Provider value={context}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header>
        <strong>residency-gateway</strong>
        <nav aria-label="Console">
          <ul>
            {nav.map((item) => (
              <li key={item.path}>
                <a href={href([item.path])} aria-current={view === item.path ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {context.session.name} · {roles.join(', ')} · {context.jurisdiction}
          </span>
          <button type="button" onClick={() => void signOut(settings, context.session)}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} view={view} />
      </main>
    </Context.Provider>
  );
}

function View(props: { route: Route; view: string }) {
  const { path, query } = props.route;
  switch (props.view) {
    case 'decisions':
      return path[1] !== undefined && path[2] !== undefined ? (
        <DecisionView region={path[1]} id={path[2]} />
      ) : (
        <DecisionsView query={query} />
      );
    case 'health':
      return <HealthView />;
    case 'reviews':
      return <ReviewsView query={query} />;
    case 'flows':
      return <FlowsView query={query} />;
    case 'legal':
      return <LegalView query={query} />;
    default:
      return (
        <section>
          <h1>Nothing here for your role yet</h1>
          <p>
            The console serves auditors (decisions, log health, reviews, flows) and legal reviewers
            (legal requests). Privacy officers use the API for data-subject requests for now.
          </p>
        </section>
      );
  }
}

async function start(): Promise<void> {
  const root = document.getElementById('app');
  if (root === null) return;
  const response = await fetch('/console/config.json');
  const settings = (await response.json()) as ConsoleSettings;
  let initialError: unknown = null;
  try {
    const returnTo = await completeSignIn(settings);
    if (returnTo !== null && returnTo !== '') location.hash = returnTo;
  } catch (error) {
    initialError = error;
  }
  root.textContent = ''; // the boot message
  render(<App settings={settings} initialError={initialError} />, root);
  performance.mark('console-rendered');
}

void start();
