import { ArnFormat, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import type { AwsNames } from '../src/config/aws-settings';
import type { TelemetryConfig } from '../src/config/config';

/**
 * ARN of an SSM parameter (or of a path, which is what `GetParametersByPath` is authorised against).
 * CloudFormation cannot create SecureString parameters: the operator creates them (docs/DEPLOYMENT.md) and
 * the stack grants read on exactly these names.
 */
export function parameterArn(scope: IConstruct, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'ssm',
    resource: 'parameter',
    resourceName: name.replace(/^\//, ''),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** Read (decrypted) these exact parameters. SecureStrings under the AWS managed key need no KMS grant. */
export function grantReadParameters(grantee: IGrantable, scope: IConstruct, names: readonly string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ssm:GetParameter'],
      resources: names.map((n) => parameterArn(scope, n)),
    }),
  );
}

/** Read every parameter directly below these paths (one `GetParametersByPath` per path). */
export function grantReadPaths(grantee: IGrantable, scope: IConstruct, paths: readonly string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ssm:GetParametersByPath'],
      resources: paths.map((p) => parameterArn(scope, p)),
    }),
  );
}

/** The GitHub credentials a function reads: environment variable → SSM parameter, and the names to grant. */
export interface GitHubParameters {
  readonly environment: Readonly<Record<string, string>>;
  readonly read: readonly string[];
}

/**
 * Exactly the GitHub credentials `githubAuth` uses, per role: the source token or the App's id and key, the
 * data token, the same App, or the data App. Only these are handed to the functions and granted (least
 * privilege: a deployment on the App cannot read a token parameter, and the reverse).
 */
export function githubParameters(config: TelemetryConfig, names: AwsNames): GitHubParameters {
  const environment: Record<string, string> = {};
  const { source, data } = config.githubAuth;
  if (source === 'token') environment[ENV.sourceTokenParameter] = names.sourceTokenParameter;
  if (data === 'token') environment[ENV.dataTokenParameter] = names.dataTokenParameter;
  if (source === 'app' || data === 'app') {
    environment[ENV.githubAppIdParameter] = names.githubAppIdParameter;
    environment[ENV.githubAppKeyParameter] = names.githubAppKeyParameter;
  }
  if (data === 'data-app') {
    environment[ENV.dataAppIdParameter] = names.dataAppIdParameter;
    environment[ENV.dataAppKeyParameter] = names.dataAppKeyParameter;
  }
  return { environment, read: Object.values(environment) };
}
