import { randomBytes } from 'node:crypto';

/** One request the load made, as the caller saw it. */
export interface Sample {
  readonly at: number;
  readonly region: string;
  readonly op: 'read' | 'write' | 'create';
  readonly status: number;
  readonly ms: number;
  readonly code: string | undefined;
}

/** A write the gateway acknowledged (2xx): it must be readable, as written, after any fault. */
export interface AcknowledgedWrite {
  readonly region: string;
  readonly subjectId: string;
  readonly recordId: string;
  readonly displayName: string;
}

/** A write the gateway refused (5xx): it must not be readable, unless its commit was in doubt. */
export interface RefusedWrite {
  readonly region: string;
  readonly subjectId: string;
  readonly recordId: string;
  readonly code: string | undefined;
}

export interface LoadTarget {
  readonly region: string;
  /** A country homed in the region's jurisdiction, for creates. */
  readonly country: string;
  /** A token of a caller in the region. */
  readonly token: string;
  /** Subjects homed in the region, each with a profile record `main`. */
  readonly subjects: readonly string[];
}

/** Status 0: no HTTP answer at all (connection reset or refused, or the client's deadline). */
const NO_ANSWER = 0;
/** A request that takes longer than this has hung, as far as the suite is concerned. */
export const HUNG_MS = 15_000;

/**
 * Steady load over every region, `perRegion` loops for each (separate clients, as in
 * production: a region that hangs holds its own callers, not everyone's). Each loop reads a
 * seeded record of its region (80 %), writes a new record (15 %) or creates a subject (5 %, the
 * one operation that always needs KMS). Records every answer, every acknowledged and refused
 * write and every decision id the gateway answered with, for the consistency check.
 */
export class SteadyLoad {
  readonly samples: Sample[] = [];
  readonly acknowledged: AcknowledgedWrite[] = [];
  readonly refused: RefusedWrite[] = [];
  /** Decision ids of acknowledged accesses, by region: each must have exactly one log entry. */
  readonly decisions = new Map<string, { id: string; op: Sample['op']; at: number }[]>();
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private url: string,
    private readonly targets: readonly LoadTarget[],
    private readonly perRegion: number,
    /** Without creates the mix is 85 % reads, 15 % writes. */
    private readonly mix: { readonly creates: boolean } = { creates: true },
  ) {}

  /** Points the load at another gateway (after a restart). */
  retarget(url: string): void {
    this.url = url;
  }

  start(): void {
    this.running = true;
    this.loops = this.targets.flatMap((target) =>
      Array.from({ length: this.perRegion }, () => this.loop(target)),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(target: LoadTarget): Promise<void> {
    while (this.running) {
      const dice = Math.random();
      if (dice < 0.8) await this.read(target);
      else if (dice < 0.95 || !this.mix.creates) await this.write(target);
      else await this.create(target);
    }
  }

  private pick(target: LoadTarget): string {
    return target.subjects[Math.floor(Math.random() * target.subjects.length)] ?? '';
  }

  private async read(target: LoadTarget): Promise<void> {
    const subject = this.pick(target);
    await this.send(target, 'read', 'GET', `/v1/subjects/${subject}/records/profile/main`);
  }

  private async write(target: LoadTarget): Promise<void> {
    const subjectId = this.pick(target);
    const recordId = `f-${randomBytes(6).toString('hex')}`;
    const displayName = `w-${randomBytes(4).toString('hex')}`;
    const answer = await this.send(
      target,
      'write',
      'PUT',
      `/v1/subjects/${subjectId}/records/profile/${recordId}`,
      { displayName, username: recordId },
    );
    const write = { region: target.region, subjectId, recordId };
    if (answer.status >= 200 && answer.status < 300)
      this.acknowledged.push({ ...write, displayName });
    // No answer at all (a killed gateway, the client's deadline) leaves the commit in doubt:
    // neither promised nor refused, so not checked either way.
    else if (answer.status >= 500) this.refused.push({ ...write, code: answer.code });
  }

  private async create(target: LoadTarget): Promise<void> {
    // Placement picks the home region within the jurisdiction; the sample counts for the
    // region the loop serves.
    await this.send(target, 'create', 'POST', '/v1/subjects', { country: target.country });
  }

  private async send(
    target: LoadTarget,
    op: Sample['op'],
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; code: string | undefined }> {
    const started = performance.now();
    let status = NO_ANSWER;
    let code: string | undefined;
    try {
      const response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${target.token}`,
          'x-purpose': 'service-delivery',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(HUNG_MS),
      });
      status = response.status;
      const text = await response.text();
      if (status >= 400) code = problemCode(text);
      const decided = response.headers.get('x-decision-id');
      if (status < 300 && decided !== null) {
        // A create is decided and logged in the subject's home region, which placement picks.
        const region = op === 'create' ? homeRegionIn(text, target.region) : target.region;
        const ids = this.decisions.get(region) ?? [];
        const at = performance.now();
        ids.push(...decided.split(',').map((id) => ({ id: id.trim(), op, at })));
        this.decisions.set(region, ids);
      }
    } catch {
      code = 'no_answer';
    }
    this.samples.push({
      at: performance.now(),
      region: target.region,
      op,
      status,
      ms: performance.now() - started,
      code,
    });
    return { status, code };
  }
}

function problemCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { code?: unknown };
    return typeof parsed.code === 'string' ? parsed.code : undefined;
  } catch {
    return 'not_problem_json';
  }
}

function homeRegionIn(text: string, fallback: string): string {
  try {
    const parsed = JSON.parse(text) as { homeRegion?: unknown };
    return typeof parsed.homeRegion === 'string' ? parsed.homeRegion : fallback;
  } catch {
    return fallback;
  }
}
