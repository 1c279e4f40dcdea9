/** Jest runs the TypeScript sources directly through SWC, in CommonJS mode (openpgp 6 loads there). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // A test that hangs fails after this; one that is only slow on a busy 2-core machine must not. The
  // documentation walk-throughs and the kill sweeps set budgets of their own.
  testTimeout: 120000,
  // Jest's default is a worker less than the cores: one on a 2-core machine. The tests wait on child
  // processes, sockets and files as much as they compute, so two workers use two cores better.
  maxWorkers: Math.max(2, require('node:os').availableParallelism() - 1),
};
