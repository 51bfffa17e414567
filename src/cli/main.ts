import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../platform/config/config.error.js';
import { StoreBootError } from '../regions/region-router.js';
import { EXIT, UsageError } from './exit-codes.js';

/**
 * `residency-gateway <command>`: the CLI for ops and auditors. Every command and subcommand
 * answers `--help`; an unknown command or flag, or a missing or invalid value, prints the usage
 * and exits 2. Commands load their code only when run, so `--help` and small commands start fast.
 */

const EXIT_CODES_HELP = `
Exit codes: 0 done (a check passed), 1 a check failed or the command could not do its job,
2 the command line was wrong.

Configuration comes from the environment (GATEWAY_TOPOLOGY_FILE, ...; see the README). With no
topology in the environment, commands use the running local stack's (.local/stack-env.json).`;

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('expected a positive whole number.');
  }
  return parsed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function roleList(value: string): string[] {
  const roles = value
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
  if (roles.length === 0)
    throw new InvalidArgumentError('expected one or more roles, comma-separated.');
  return roles;
}

export function buildProgram(): Command {
  const program = new Command('residency-gateway')
    .description('Operate and audit residency-gateway: migrations, tokens, keys, the audit log.')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  program
    .command('migrate')
    .description('apply the checked-in migrations to every region of the topology')
    .action(async () => {
      const { migrate } = await import('./commands/migrate.command.js');
      process.exitCode = await migrate();
    });

  program
    .command('token')
    .description('print a dev service token signed with the local dev key (local stack only)')
    .requiredOption('--service <id>', 'service id, the token subject (e.g. svc:feed)')
    .requiredOption('--region <region>', 'region the service runs in (e.g. eu-central-1)')
    .requiredOption('--roles <roles>', 'comma-separated roles (service, moderator, ...)', roleList)
    .option(
      '--ttl <seconds>',
      'lifetime in seconds, at most the gateway accepts (GATEWAY_JWT_MAX_LIFETIME_SECONDS)',
      positiveInteger,
      3600,
    )
    .action(async (options: { service: string; region: string; roles: string[]; ttl: number }) => {
      const { token } = await import('./commands/token.command.js');
      process.exitCode = await token(options);
    });

  program
    .command('openapi')
    .description('write docs/openapi.json from the controllers (checked in)')
    .option('--check', 'write nothing; exit 1 if docs/openapi.json is stale', false)
    .action(async (options: { check: boolean }) => {
      const { openapi } = await import('./commands/openapi.command.js');
      process.exitCode = await openapi(options);
    });

  const keys = program.command('keys').description('regional key management');
  keys
    .command('rewrap')
    .description('re-wrap every subject key of a region after a KMS key rotation (resumable)')
    .requiredOption('--region <region>', 'the region whose keys to re-wrap')
    .option('--batch <n>', 'keys per committed batch', positiveInteger, 200)
    .option('--concurrency <n>', 'KMS calls in flight', positiveInteger, 8)
    .option('--max <n>', 'stop (resumably) after this many keys', positiveInteger)
    .action(
      async (options: { region: string; batch: number; concurrency: number; max?: number }) => {
        const { keysRewrap } = await import('./commands/keys-rewrap.command.js');
        process.exitCode = await keysRewrap(options);
      },
    );

  const audit = program
    .command('audit')
    .description("verify, prove, export and witness a region's transparency log");
  audit
    .command('verify')
    .description(
      "recompute a region's Merkle tree from its store and check every checkpoint, stored and kept outside; exit 1 naming the first divergence",
    )
    .requiredOption('--region <region>', 'the region whose log to verify')
    .option(
      '--checkpoint <file>',
      'a checkpoint note kept outside the store (repeatable)',
      collect,
      [],
    )
    .option('--witness-state <file>', 'a witness’s state file (its latest verified checkpoint)')
    .option(
      '--sink <location>',
      'the checkpoint sink: dir:<path> or s3://<bucket>/<prefix> (default: the configured one)',
    )
    .option('--no-sink', 'do not read the configured checkpoint sink')
    .option('--vkey <vkey>', 'the region’s verifier key (default: from the configured signing key)')
    .action(
      async (options: {
        region: string;
        checkpoint: string[];
        witnessState?: string;
        sink?: string | false;
        vkey?: string;
      }) => {
        const { auditVerify } = await import('./commands/audit.command.js');
        process.exitCode = await auditVerify({
          region: options.region,
          checkpoint: options.checkpoint,
          ...(options.witnessState === undefined ? {} : { witnessState: options.witnessState }),
          ...(typeof options.sink === 'string' ? { sink: options.sink } : {}),
          noSink: options.sink === false,
          ...(options.vkey === undefined ? {} : { vkey: options.vkey }),
        });
      },
    );
  audit
    .command('export')
    .description("print a region's decision log as JSON lines")
    .requiredOption('--region <region>', 'the region whose log to export')
    .option('--since <time>', 'only entries logged at or after this ISO 8601 time')
    .action(async (options: { region: string; since?: string }) => {
      const { auditExport } = await import('./commands/audit.command.js');
      process.exitCode = await auditExport(options);
    });
  audit
    .command('prove')
    .description(
      'write a receipt for one decision: its leaf, the signed checkpoint, the inclusion proof',
    )
    .requiredOption('--decision <id>', 'the decision id (X-Decision-Id)')
    .option('--region <region>', 'the region whose log holds it (default: look in every region)')
    .option('--out <file>', 'write the receipt here instead of stdout')
    .action(async (options: { decision: string; region?: string; out?: string }) => {
      const { auditProve } = await import('./commands/audit.command.js');
      process.exitCode = await auditProve(options);
    });
  audit
    .command('verify-receipt')
    .description('check a receipt offline, with nothing but the region’s verifier key')
    .argument('<file>', 'the receipt (JSON, from audit prove or GET /v1/audit/receipts/:id)')
    .requiredOption('--vkey <vkey>', 'the region’s verifier key (C2SP vkey)')
    .action(async (file: string, options: { vkey: string }) => {
      const { auditVerifyReceipt } = await import('./commands/audit.command.js');
      process.exitCode = auditVerifyReceipt({ file, vkey: options.vkey });
    });
  audit
    .command('witness')
    .description(
      'one witnessing round: check the latest checkpoint is consistent with the last one seen, cosign it, post the cosignature; exit 1 on a rollback, fork or bad proof',
    )
    .requiredOption('--region <region>', 'the region whose log to witness')
    .requiredOption('--gateway <url>', 'the gateway’s URL')
    .requiredOption('--state <file>', 'where the witness keeps what it last saw')
    .requiredOption(
      '--key <file>',
      'the witness’s Ed25519 private key (PEM; see audit witness-key)',
    )
    .option('--name <name>', 'the witness’s key name (first run)')
    .option(
      '--log-key <vkey>',
      'the log’s verifier key to pin (first run; default: trust on first use)',
    )
    .option(
      '--token-file <file>',
      'a bearer token with the auditor role (default: a local dev token)',
    )
    .action(
      async (options: {
        region: string;
        gateway: string;
        state: string;
        key: string;
        name?: string;
        logKey?: string;
        tokenFile?: string;
      }) => {
        const { auditWitness } = await import('./commands/witness.command.js');
        process.exitCode = await auditWitness(options);
      },
    );
  audit
    .command('witness-key')
    .description('create a witness key (Ed25519 PEM) and print its cosignature verifier key')
    .requiredOption('--name <name>', 'the witness’s key name, e.g. monitor.example/w1')
    .requiredOption('--out <file>', 'where to write the private key')
    .action(async (options: { name: string; out: string }) => {
      const { auditWitnessKey } = await import('./commands/witness.command.js');
      process.exitCode = auditWitnessKey(options);
    });

  const policy = program
    .command('policy')
    .description('policy authors: what a bundle would change, why a decision came out as it did');
  policy
    .command('impact')
    .description(
      'replay logged decisions against a candidate bundle (in wasm, as the gateway) and report every decision that flips, grouped by rule; exit 1 on a flip not listed in --expect',
    )
    .requiredOption('--bundle <file>', 'the candidate bundle (.tar.gz)')
    .option('--region <region>', 'replay this region’s log only (default: every region)')
    .option('--since <when>', 'entries logged since: 24h, 30m, 7d, or an ISO 8601 time')
    .option(
      '--from-file <file>',
      'replay an export (audit export, JSON lines) instead of the stores',
    )
    .option(
      '--baseline <file>',
      'compare with this bundle replayed the same way, not with the logged results',
    )
    .option('--expect <file>', 'flips that are intended: {"flips": [{"kind", "rule"}]}')
    .option(
      '--public-key <pem>',
      'the PEM public key bundles are signed with (default: the dev key)',
    )
    .option('--no-verify', 'read unsigned bundles (a build before signing)')
    .option('--json', 'print the report as JSON', false)
    .action(
      async (options: {
        bundle: string;
        region?: string;
        since?: string;
        fromFile?: string;
        baseline?: string;
        expect?: string;
        publicKey?: string;
        verify: boolean;
        json: boolean;
      }) => {
        const { policyImpact } = await import('./commands/policy.command.js');
        process.exitCode = await policyImpact({
          ...options,
          ...(options.verify ? {} : { publicKey: false }),
        });
      },
    );
  policy
    .command('explain')
    .description('print the decision for one policy input and the rules that fired')
    .requiredOption(
      '--input <file>',
      'a policy input (JSON), or a logged entry (its input is used)',
    )
    .option(
      '--bundle <file>',
      'the bundle (default: GATEWAY_POLICY_BUNDLE, else the committed one)',
    )
    .option('--public-key <pem>', 'the key the bundle is signed with')
    .option('--no-verify', 'read an unsigned bundle')
    .option('--json', 'print the explanation as JSON', false)
    .action(
      async (options: {
        input: string;
        bundle?: string;
        publicKey?: string;
        verify: boolean;
        json: boolean;
      }) => {
        const { policyExplain } = await import('./commands/policy.command.js');
        process.exitCode = await policyExplain({
          ...options,
          ...(options.verify ? {} : { publicKey: false }),
        });
      },
    );

  return program;
}

/** Parses and runs; returns the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; anything else commander refuses (an unknown command or
      // flag, a missing or invalid value, a command group without its subcommand) is usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof StoreBootError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.failed;
    }
    process.stderr.write(
      `${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
    );
    return EXIT.failed;
  }
}

// Run directly (`node dist/src/cli/main.js <command>`, as the container image does); the
// checkout's bin/residency-gateway.mjs imports runCli after building what changed.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await runCli(process.argv.slice(2)));
}
