import semver from 'semver';
import { z } from 'zod';
import { parsePayload, repositorySchema } from '../../github/payloads';
import type { Metric } from '../types';

export const createTagPayload = z.looseObject({
  ref: z.string().min(1),
  ref_type: z.literal('tag'),
  repository: repositorySchema,
});

export interface ReleaseVersionOutput {
  tag: string;
  /** The version without its leading `v`. */
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** Pre-release identifiers (`1.2.0-rc.1` → ["rc", 1]); empty for a release. */
  prerelease: (string | number)[];
  /** Build metadata (`1.2.0+build.5` → ["build", "5"]). */
  build: string[];
  is_prerelease: boolean;
}

/** Parses a tag as a strict semantic version, with or without a leading `v`; null when it is not one. */
export function parseVersionTag(tag: string): Omit<ReleaseVersionOutput, 'tag'> | null {
  const candidate = /^[vV]\d/.test(tag) ? tag.slice(1) : tag;
  // semver.parse trims whitespace and would accept ` 1.2.3`: a tag is a version only exactly as written.
  if (!/^\d\S*$/.test(candidate)) return null;
  const parsed = semver.parse(candidate);
  if (!parsed || parsed.raw !== candidate) return null;
  return {
    version: parsed.version + (parsed.build.length > 0 ? `+${parsed.build.join('.')}` : ''),
    major: parsed.major,
    minor: parsed.minor,
    patch: parsed.patch,
    prerelease: [...parsed.prerelease],
    build: [...parsed.build],
    is_prerelease: parsed.prerelease.length > 0,
  };
}

export const releaseVersions: Metric<ReleaseVersionOutput> = {
  name: 'release-versions',
  description: 'One record per tag created whose name is a semantic version (with or without a leading v).',
  triggers: ['github::create'],
  permissions: { contents: 'read' },
  matches: (event) =>
    event.trigger === 'github::create' &&
    event.payload.ref_type === 'tag' &&
    typeof event.payload.ref === 'string' &&
    parseVersionTag(event.payload.ref) !== null,
  async collect(event) {
    const { ref, repository } = parsePayload(createTagPayload, event.payload, 'create payload');
    const version = parseVersionTag(ref);
    if (!version) return [];
    return [
      {
        // Repository id, not name: a renamed repository keeps its tags' ids.
        naturalKey: `${repository.id}:${ref}`,
        owner: repository.owner.login,
        repo: repository.name,
        // The create event carries no time of its own: the delivery's arrival is when the tag appeared.
        occurredAt: event.receivedAt,
        output: { tag: ref, ...version },
      },
    ];
  },
};
