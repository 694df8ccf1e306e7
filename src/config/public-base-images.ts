/**
 * Public base images, the defaults wherever a registry is named and no base image is configured (and what
 * `neurons init` writes): the official images, at the versions the built-in templates are tested with. Point them at
 * a mirror in neurons.json where Docker Hub is out of reach or rate-limited.
 */
export const publicBaseImages = {
  python: 'python:3.11-bookworm',
  node: 'node:18-bookworm',
  go: 'golang:1.19-bookworm',
} as const;
