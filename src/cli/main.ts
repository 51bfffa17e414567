import 'reflect-metadata';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
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
    .option('--ttl <seconds>', 'lifetime in seconds', positiveInteger, 3600)
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

  const audit = program.command('audit').description("verify and export a region's audit log");
  audit
    .command('verify')
    .description("check a region's log in its store; exit 1 naming the first bad entry")
    .requiredOption('--region <region>', 'the region whose log to verify')
    .addOption(
      new Option('--checkpoint <jws>', 'a checkpoint kept outside the store').conflicts(
        'checkpointFile',
      ),
    )
    .option('--checkpoint-file <file>', 'a file holding a checkpoint kept outside the store')
    .option('--public-key <pem>', 'checkpoint verification key (default: from the config)')
    .action(
      async (options: {
        region: string;
        checkpoint?: string;
        checkpointFile?: string;
        publicKey?: string;
      }) => {
        const { auditVerify } = await import('./commands/audit.command.js');
        process.exitCode = await auditVerify(options);
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
