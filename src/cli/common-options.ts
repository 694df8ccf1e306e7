import type { OptionDoc } from './command.js';

// Options several commands share, described once: `neurons help <command>` and the README say the same of each.

export const repoOption: OptionDoc = {
  type: 'string',
  value: 'DIR',
  description: 'the worker repository',
  default: 'the current folder',
};
export const configOption: OptionDoc = {
  type: 'string',
  value: 'FILE',
  description: 'the configuration file',
  default: 'neurons.json at the repository root, if present',
};
export const jsonOption: OptionDoc = { type: 'boolean', description: 'machine-readable JSON on standard output' };
export const onlyOption: OptionDoc = {
  type: 'string',
  multiple: true,
  value: 'DIR',
  description: 'only this worker folder (`HashCalc` or `analyzers/HashCalc`); repeatable',
};
export const offlineOption: OptionDoc = {
  type: 'boolean',
  description: 'no registry lookup for base images: their tags stay unpinned',
};
export const namespaceOption: OptionDoc = {
  type: 'string',
  value: 'NS',
  description: 'the namespace (path) of the images in the registry',
  default: 'the configuration, NEURONS_NAMESPACE',
};
export const channelOption: OptionDoc = {
  type: 'string',
  value: 'stable|devel',
  description: '`stable` tags X.Y.Z, X.Y and X; `devel` tags `devel`',
  default: 'stable',
};
export const baselineSpec: OptionDoc = {
  type: 'string',
  value: 'FILE',
  description:
    'problems this file lists are known: printed, not failed on (written by `neurons validate --write-baseline`)',
};
export const skipTestsOption: OptionDoc = { type: 'boolean', description: 'no smoke test before pushing' };

/** Change detection, as `detect`, `plan` and the pipeline commands take it. */
export const detectionOptionDocs = {
  mode: {
    type: 'string',
    value: 'git|digest|auto',
    description: 'how changes are found: git diff, build-input digests in the registry, or git checked by digest',
    default: 'auto',
  },
  base: {
    type: 'string',
    value: 'REF',
    description: 'the commit changes are counted from',
    default: "what the CI says: a push's previous head, a pull request's base",
  },
  head: { type: 'string', value: 'REF', description: 'the commit changes are counted to', default: 'HEAD' },
  pr: {
    type: 'string',
    value: 'N',
    description: 'the files of GitHub pull request N (GITHUB_REPOSITORY, GITHUB_TOKEN)',
  },
} satisfies Record<string, OptionDoc>;
