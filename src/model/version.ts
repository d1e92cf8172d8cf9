import pkg from '../../package.json' with { type: 'json' };

/** The package version, read from package.json so that it is written down once. */
export const VERSION: string = pkg.version;
