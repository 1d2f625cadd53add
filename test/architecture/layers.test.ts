import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map(
    (m) => m[1] as string,
  );
}

describe('layers (docs/ARCHITECTURE.md)', () => {
  it('src/ never imports the AWS SDK, Lambda types, the CDK or the AWS shells', () => {
    const offenders = sources('src').flatMap((file) =>
      imports(file)
        .filter(
          (spec) =>
            /^(@aws-sdk\/|aws-lambda|@types\/aws-lambda|aws-cdk-lib|constructs|@aws-lambda-powertools\/)/.test(
              spec,
            ) || /(^|\/)(lambda|lib|bin)\//.test(spec),
        )
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('src/ never imports test or bench code', () => {
    const offenders = sources('src').flatMap((file) =>
      imports(file)
        .filter((spec) => /(^|\/)(test|bench)\//.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('AWS layers (docs/ARCHITECTURE.md)', () => {
  it('the Lambda shells never import the CDK or the stack', () => {
    const offenders = sources('lambda').flatMap((file) =>
      imports(file)
        .filter((spec) => /^(aws-cdk-lib|constructs|cdk-nag)/.test(spec) || /(^|\/)(lib|bin)\//.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the stack reads nothing of lambda/ but the environment variable names, and no AWS SDK', () => {
    const offenders = sources('lib').flatMap((file) =>
      imports(file)
        .filter(
          (spec) =>
            spec.startsWith('@aws-sdk/') ||
            (/(^|\/)lambda\//.test(spec) && !spec.endsWith('lambda/adapters/environment')),
        )
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the environment names module stays free of imports (the stack bundles none of the shells)', () => {
    expect(imports('lambda/adapters/environment.ts')).toEqual([]);
  });
});
