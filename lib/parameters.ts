import { ArnFormat, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

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
