import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../../tools/local-stack/free-port.js';
import { DevOidcProvider } from '../../tools/dev-oidc/dev-oidc-provider.js';
import { ensureChromium } from '../../tools/console-browser/ensure-chromium.js';
import { TestGateway } from './test-gateway.js';

export const CONSOLE_CLIENT_ID = 'residency-console';
export const CONSOLE_RESOURCE = 'urn:residency-gateway';

/** `CONSOLE_SCREENSHOTS=1`: the browser tests also refresh the screenshots in docs/console/. */
export const CONSOLE_SCREENSHOTS = process.env['CONSOLE_SCREENSHOTS'] === '1';

/**
 * The console's test stack: a real development OpenID provider, a real gateway that trusts it
 * for people (over real PostgreSQL and KMS), and Debian's Chromium driven by playwright-core.
 */
export class ConsoleStack {
  private constructor(
    readonly gateway: TestGateway,
    readonly provider: DevOidcProvider,
    readonly browser: Browser,
  ) {}

  /** Undefined (with the reason) when no Chromium can be had here: the caller skips loudly. */
  static async start(): Promise<ConsoleStack | string> {
    const chromiumPath = ensureChromium((m) => process.stdout.write(`console tests: ${m}\n`));
    if (!chromiumPath.found) return chromiumPath.why;
    const port = await freePort();
    const provider = await DevOidcProvider.start({
      host: '127.0.0.1',
      port: await freePort(),
      consoleOrigins: [`http://127.0.0.1:${String(port)}`],
      clientId: CONSOLE_CLIENT_ID,
      audience: 'residency-gateway',
      resource: CONSOLE_RESOURCE,
    });
    const gateway = await TestGateway.start({
      port,
      env: {
        GATEWAY_OIDC_ISSUER: provider.issuer,
        GATEWAY_OIDC_JWKS_URL: provider.jwksUrl,
        GATEWAY_OIDC_CLIENT_ID: CONSOLE_CLIENT_ID,
        GATEWAY_OIDC_SCOPE: 'openid profile gateway',
        GATEWAY_OIDC_RESOURCE: CONSOLE_RESOURCE,
      },
    });
    const browser = await chromium.launch({
      executablePath: chromiumPath.path,
      // Root in a container: Chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    return new ConsoleStack(gateway, provider, browser);
  }

  get consoleUrl(): string {
    return `${this.gateway.url}/console`;
  }

  /** A fresh browser context (no cookies, no storage), signed in as a dev user. */
  async signIn(user: string, width = 1280, options: { bypassCSP?: boolean } = {}): Promise<Page> {
    const context = await this.browser.newContext({
      viewport: { width, height: 900 },
      // Only for injecting the accessibility checker: every other test runs under the real CSP.
      bypassCSP: options.bypassCSP === true,
    });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    // The page's own errors are the first thing to read when a scenario fails.
    page.on('pageerror', (error) => process.stdout.write(`console page error: ${error.message}\n`));
    page.on('console', (message) => {
      if (message.type() === 'error') process.stdout.write(`console page: ${message.text()}\n`);
    });
    await page.goto(this.consoleUrl);
    await page.getByRole('button', { name: /Sign in with/ }).click();
    await page.getByLabel('User').selectOption(user);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.gateway.close();
    await this.provider.close();
  }
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { target: readonly string[] }[];
}

/** axe-core's WCAG 2 A/AA checks on the page as it is (needs a context that bypasses CSP). */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  return page.evaluate<AxeViolation[]>(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })
    .then((result) => result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })),
    })))`);
}
