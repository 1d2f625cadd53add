import { join } from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './bundling';

const ROOT = join(__dirname, '..');

export interface TelemetryFunctionProps {
  /** File under lambda/ exporting `handler`, without extension, e.g. `webhook`. */
  readonly entry: string;
  /** Physical function name, e.g. `telemetry-default-webhook` (stable names make logs easy to find). */
  readonly functionName: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** Reserved concurrency: at most this many instances at once (absent: the account's unreserved pool). */
  readonly reservedConcurrency?: number;
  readonly logRetention: RetentionDays;
  readonly environment?: Record<string, string>;
}

/**
 * One of the project's Lambda functions: nodejs24.x on arm64, bundled by the local esbuild with the shared
 * options (minified, source maps, module-first main fields, the runtime's AWS SDK left out), JSON logs into
 * its own log group with a retention.
 */
export class TelemetryFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TelemetryFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      // Named, so a retained group would block the next deployment of the same instance.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(ROOT, 'lambda', `${props.entry}.ts`),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      functionName: props.functionName,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.functionName,
        // Stack traces point into lambda/ and src/, not into the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.CJS,
        target: LAMBDA_BUNDLING.target,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourceMap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        externalModules: [...LAMBDA_BUNDLING.externalModules],
        forceDockerBundling: false,
      },
    });
  }
}

/**
 * How long a function's store may wait for GitHub's write budget: its timeout less a minute (at least
 * nothing), so a batch held back fails as retriable in time instead of timing the function out.
 */
export function storeMaxWaitMs(timeout: Duration): number {
  return Math.max(0, timeout.toSeconds() - 60) * 1000;
}
