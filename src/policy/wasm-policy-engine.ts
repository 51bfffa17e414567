import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { parsePolicyResult, type PolicyInput, type PolicyResult } from './decision.js';
import type { VerifiedBundle } from './bundle-verifier.js';

export const ENTRYPOINT = 'residency/decision';
/** The decision and the rules behind it, for policy authors (`residency-gateway policy explain`). */
export const EXPLAIN_ENTRYPOINT = 'residency/explain';
const PAGE = 64 * 1024;

export interface MemoryLimits {
  /** Initial and maximum WebAssembly memory, in 64 KiB pages. */
  readonly initialPages: number;
  readonly maximumPages: number;
}

/**
 * One verified bundle's policy, evaluated in process with opa-wasm. Memory has a hard maximum;
 * because the SDK's heap can creep across evaluations (npm-opa-wasm#143), the heap is reset
 * (setData) when the heap passes three quarters of that maximum, and an evaluation that fails is
 * retried once on a reset heap. Whatever still fails throws: the caller fails closed.
 */
export class WasmPolicyEngine {
  private evaluations = 0;
  private resets = 0;

  private constructor(
    private readonly policy: LoadedPolicy,
    private readonly data: object,
    private readonly limits: MemoryLimits,
  ) {}

  static async load(bundle: VerifiedBundle, limits: MemoryLimits): Promise<WasmPolicyEngine> {
    const policy = await loadPolicy(bundle.wasm, {
      initial: limits.initialPages,
      maximum: limits.maximumPages,
    });
    const entrypoints = policy.entrypoints as Record<string, number>;
    if (!Object.prototype.hasOwnProperty.call(entrypoints, ENTRYPOINT)) {
      throw new Error(`the bundle has no ${ENTRYPOINT} entrypoint`);
    }
    const data = bundle.data ?? {};
    policy.setData(data);
    const engine = new WasmPolicyEngine(policy, data, limits);
    return engine;
  }

  evaluate(input: PolicyInput): PolicyResult {
    this.evaluations++;
    let raw: unknown;
    try {
      raw = this.policy.evaluate(input, ENTRYPOINT);
    } catch {
      this.resetHeap();
      raw = this.policy.evaluate(input, ENTRYPOINT);
    }
    if (this.heapTop() > this.limits.maximumPages * PAGE * 0.75) this.resetHeap();
    const results = raw as { result?: unknown }[] | undefined;
    if (!Array.isArray(results) || results.length !== 1)
      throw new Error('the policy returned no decision');
    return parsePolicyResult(results[0]?.result);
  }

  /**
   * What `residency/explain` says of an input: the decision, the deny rules that fired, the
   * grant, how each field was served. Throws for a bundle built without that entrypoint.
   */
  explain(input: PolicyInput): unknown {
    const entrypoints = this.policy.entrypoints as Record<string, number>;
    if (!Object.prototype.hasOwnProperty.call(entrypoints, EXPLAIN_ENTRYPOINT))
      throw new Error(`the bundle has no ${EXPLAIN_ENTRYPOINT} entrypoint`);
    const results = this.policy.evaluate(input, EXPLAIN_ENTRYPOINT) as
      { result?: unknown }[] | undefined;
    this.resetHeap();
    return results?.[0]?.result;
  }

  stats(): { evaluations: number; heapResets: number } {
    return { evaluations: this.evaluations, heapResets: this.resets };
  }

  /** Where the wasm heap ends now; memory can grow but never shrink, so watch the heap. */
  private heapTop(): number {
    const { exports } = this.policy.wasmInstance as unknown as {
      exports: { opa_heap_ptr_get?: () => number };
    };
    return exports.opa_heap_ptr_get?.() ?? 0;
  }

  private resetHeap(): void {
    this.resets++;
    this.policy.setData(this.data);
  }
}
