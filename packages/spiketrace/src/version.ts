/** The compiler version recorded in bundles. */
export const VERSION = '0.1.0';
