/** Unit tests of the panel's TypeScript (protocol, model, view, link) in jsdom; no JupyterLab needed. */
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          target: 'ES2020',
          lib: ['DOM', 'DOM.Iterable', 'ES2022'],
          esModuleInterop: true,
          strict: true,
          skipLibCheck: true,
          types: ['jest']
        }
      }
    ]
  },
  setupFiles: ['<rootDir>/jest.setup.js'],
  moduleFileExtensions: ['ts', 'js', 'json']
};
