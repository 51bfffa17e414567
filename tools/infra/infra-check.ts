import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../local-stack/child-process.js';
import { ensureOpa } from '../policy/opa-cli.js';
import { ensureCheckov, ensureGoTool } from './infra-tools.js';

/**
 * `npm run infra:check`: HCL formatting, the residency rules on the infra (conftest + their
 * opa tests), helm lint and template for every region, each bad fixture caught by its rule,
 * and a checkov scan of the Terraform and the rendered chart. Exits non-zero on any finding.
 */
const INFRA = join(PROJECT_ROOT, 'infra');
const CHART = join(INFRA, 'helm', 'residency-gateway');
const RULES = join(PROJECT_ROOT, 'policies', 'infra');
const REGIONS = ['us-east-1', 'us-west-2', 'eu-central-1'];

/** Each bad fixture and what its rule must say about it. */
const FIXTURES: Record<string, { namespace: string; expect: string }> = {
  'bad-multi-region-key.tf': { namespace: 'terraform', expect: 'is multi-region' },
  'bad-cross-jurisdiction-replica.tf': {
    namespace: 'terraform',
    expect: 'outside the US jurisdiction',
  },
  'bad-snapshot-copy.tf': { namespace: 'terraform', expect: 'copies data to eu-central-1' },
  'bad-db-foreign-key.tf': {
    namespace: 'terraform',
    expect: 'not encrypted with the KMS key of its own region',
  },
  'bad-unencrypted-db.tf': { namespace: 'terraform', expect: 'is not encrypted at rest' },
  'bad-key-policy-principal.tf': {
    namespace: 'terraform',
    expect: "only the region's gateway role and the admin role",
  },
  'bad-networkpolicy.yaml': {
    namespace: 'kubernetes',
    expect: 'reaches the eu-central-1 database',
  },
  'bad-cell-foreign-kms.yaml': {
    namespace: 'kubernetes',
    expect: 'names the KMS key of eu-central-1',
  },
  'bad-cell-database-url.yaml': {
    namespace: 'kubernetes',
    expect: 'database URLs belong in the topology secret only',
  },
  'bad-cell-peer-credentials.yaml': {
    namespace: 'kubernetes',
    expect: 'the GATEWAY_PEERS entry eu-central-1 carries databaseUrl',
  },
  'bad-cell-peer-own-region.yaml': {
    namespace: 'kubernetes',
    expect: "GATEWAY_PEERS names us-east-1, the cell's own region",
  },
  'bad-cell-peer-egress.yaml': {
    namespace: 'kubernetes',
    expect: 'reaches the eu-central-1 cell, on 443/TCP',
  },
  'bad-cell-api-from-peer.yaml': {
    namespace: 'kubernetes',
    expect: 'admits 10.30.0.0/16 on the API port 8080, which reaches the eu-central-1 cell',
  },
  'bad-cell-peer-ingress.yaml': {
    namespace: 'kubernetes',
    expect: 'admits anyone on the peer port 8443',
  },
  'bad-cell-certificate.yaml': {
    namespace: 'kubernetes',
    expect: "a cell's certificate names only its own region",
  },
};

let failures = 0;
const log = (message: string): void => {
  process.stdout.write(`[infra] ${message}\n`);
};
async function step(name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
    log(`✓ ${name}`);
  } catch (error) {
    failures++;
    log(`✗ ${name}\n${error instanceof Error ? error.message : String(error)}`);
  }
}

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name));
}

async function main(): Promise<number> {
  const [opa, conftest, helm, hclfmt, python] = [
    await ensureOpa(log),
    await ensureGoTool('conftest', log),
    await ensureGoTool('helm', log),
    await ensureGoTool('hclfmt', log),
    await ensureCheckov(log),
  ];
  const rendered = mkdtempSync(join(tmpdir(), 'infra-rendered-'));
  const terraformFiles = files(join(INFRA, 'terraform'), '.tf');
  const conftestArgs = ['--policy', RULES, '--data', join(RULES, 'data'), '--no-color'];
  try {
    await step('HCL formatting (hclfmt; terraform/tofu fmt cannot be installed here)', async () => {
      for (const file of [...terraformFiles, ...files(join(INFRA, 'policy-fixtures'), '.tf')]) {
        await run(hclfmt, ['-require-no-change', file]).catch(() => {
          throw new Error(
            `${relative(PROJECT_ROOT, file)} is not formatted: run .tools/bin/hclfmt -w on it`,
          );
        });
      }
    });
    await step('residency rules: opa fmt, opa check, opa test', async () => {
      const unformatted = (await run(opa, ['fmt', '--list', RULES])).trim();
      if (unformatted !== '') throw new Error(`not opa-fmt formatted:\n${unformatted}`);
      await run(opa, ['check', '--strict', RULES]);
      await run(opa, ['test', RULES]);
    });
    await step('residency rules hold on the Terraform (conftest)', async () => {
      await run(conftest, ['test', '--namespace', 'terraform', ...conftestArgs, ...terraformFiles]);
    });
    await step('helm lint and template for every region', async () => {
      for (const region of REGIONS) {
        const values = join(CHART, 'values', `${region}.yaml`);
        await run(helm, ['lint', '--strict', CHART, '-f', values]);
        const manifests = await run(helm, [
          'template',
          'residency-gateway',
          CHART,
          '--namespace',
          'residency-gateway',
          '-f',
          values,
        ]);
        writeFileSync(join(rendered, `${region}.yaml`), manifests);
      }
    });
    await step('residency rules hold on the rendered chart (conftest)', async () => {
      await run(conftest, [
        'test',
        '--namespace',
        'kubernetes',
        ...conftestArgs,
        ...REGIONS.map((r) => join(rendered, `${r}.yaml`)),
      ]);
    });
    await step('every bad fixture is caught by its rule', async () => {
      for (const [fixture, { namespace, expect }] of Object.entries(FIXTURES)) {
        const path = join(INFRA, 'policy-fixtures', fixture);
        const output = await run(conftest, [
          'test',
          '--namespace',
          namespace,
          ...conftestArgs,
          path,
        ]).then(
          (out) => {
            throw new Error(`${fixture} passed the rules:\n${out}`);
          },
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        if (!output.includes(expect))
          throw new Error(`${fixture} failed, but not with "${expect}":\n${output}`);
      }
    });
    await step('checkov: Terraform and rendered chart', async () => {
      const common = ['-m', 'checkov.main', '--quiet', '--compact', '--skip-download'];
      await run(python, [...common, '--framework', 'terraform', '-d', join(INFRA, 'terraform')]);
      await run(python, [...common, '--framework', 'kubernetes', '-d', rendered]);
    });
  } finally {
    rmSync(rendered, { recursive: true, force: true });
  }
  log(failures === 0 ? 'infra checks passed' : `${String(failures)} infra check(s) failed`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
