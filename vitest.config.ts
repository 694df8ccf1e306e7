import { defineConfig } from 'vitest/config';

// Two projects: `fast` needs nothing but Node (`npm run test:fast`); `integration` brings up the real
// environment (Docker engine, TLS registry, base images, package index) once, in the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'fast',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
          // RSA key generation and TLS handshakes on a 2-core machine shared with the engine's builds can take
          // seconds: vitest's 5 s default failed a CA test now and then. Speed is measured in bench/, not here.
          testTimeout: 30_000,
          // The same for hooks, which generate keys and start TLS servers (vitest's default is 10 s).
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 2_400_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
