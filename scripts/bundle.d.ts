// Types of bundle.js, for the tests that build fixture scripts with it.
export function shebangNode(): string;
export function bundleScripts(entries: string[], outdir: string): Promise<string[]>;
