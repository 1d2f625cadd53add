import pkg from '../package.json';

/** Written into every record as `collector_version` and sent as the GitHub User-Agent. */
export const COLLECTOR_NAME: string = pkg.name;
export const COLLECTOR_VERSION: string = pkg.version;
export const USER_AGENT = `${COLLECTOR_NAME}/${COLLECTOR_VERSION}`;
