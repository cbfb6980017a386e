// The shell commands of README.md and docs/*.md, run as written: each ```sh block in order, with
// `set -e -o pipefail` (a failing command fails the block), in the folder the block before it
// left. A block whose last command starts `cgi-shim serve` runs that server on a free port
// (PORT=0), checks it answers, and stops it. A block preceded by `<!-- docs-test: REASON -->` is
// not run; REASON says what runs it instead (a system web server needs root: test/servers/ does
// the same with private servers).

import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cgi.js';

/** Where a block runs: in a clone of this repository (built), or in a user's project. */
export type BlockContext = 'repo' | 'project';

/** A fenced block of a Markdown file. */
export interface DocBlock {
  /** The file, relative to the repository, e.g. `docs/tutorial.md`. */
  file: string;
  /** The line of its opening fence, for messages. */
  line: number;
  /** The nearest heading above it. */
  heading: string;
  /** The fence's language: `sh`, `ts`… */
  language: string;
  code: string;
  /** Why it is not run, from a `<!-- docs-test: … -->` line just above it. */
  skip?: string;
}

/** Files whose sections run in a user's project (made by `cgi-shim init`), by heading; `*` for
 * all. The rest of each file runs in the repository. */
const PROJECT_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  'README.md': ['Use it in your own project', 'Writing a script'],
  'docs/tutorial.md': ['*'],
  'docs/troubleshooting.md': ['*'],
  'docs/local-host.md': [],
  'docs/sessions.md': [],
};

/** README's demos recipe, which its own test in readme.test.ts runs and checks line by line. */
export const DEMOS_RECIPE = { file: 'README.md', heading: 'The demos from a shell' };

/** Every fenced block of README.md and docs/*.md, in document order. */
export async function docBlocks(): Promise<DocBlock[]> {
  const files = ['README.md', ...(await readdir(join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
  const blocks: DocBlock[] = [];
  for (const file of files) {
    const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
    let heading = '';
    for (let i = 0; i < lines.length; i++) {
      const headingMatch = /^#+ (.*)$/.exec(lines[i]!);
      if (headingMatch) heading = headingMatch[1]!;
      // A block may be indented, inside a list item.
      const fence = /^( *)```(\S*)$/.exec(lines[i]!);
      if (!fence) continue;
      const indent = fence[1]!;
      const end = lines.indexOf(`${indent}\`\`\``, i + 1);
      if (end === -1) throw new Error(`${file}:${i + 1}: a code block that never ends`);
      const skip = /^ *<!-- docs-test: (.+) -->$/.exec(lines[i - 1] ?? '')?.[1];
      const code = lines.slice(i + 1, end).map((line) => line.slice(indent.length)).join('\n');
      blocks.push({ file, line: i + 1, heading, language: fence[2]!, code, ...(skip ? { skip } : {}) });
      i = end;
    }
  }
  return blocks;
}

/** Where `block` runs; throws for a file nobody decided about. */
export function contextOf(block: DocBlock): BlockContext {
  const sections = PROJECT_SECTIONS[block.file];
  if (sections === undefined) throw new Error(`${block.file}: add it to PROJECT_SECTIONS in test/helpers/doc-blocks.ts`);
  return sections.includes('*') || sections.includes(block.heading) ? 'project' : 'repo';
}

/** Whether `block` is a shell block that a runner must run. */
export function isRunnable(block: DocBlock): boolean {
  return block.language === 'sh' && block.skip === undefined;
}

/** How to run the blocks of one context. */
export interface RunOptions {
  /** The folder the first block starts in. */
  cwd: string;
  env: Record<string, string>;
  /** Exact replacements of whole commands or their starts, [written, run]: where the package
   * comes from before it is published. */
  rewrites?: ReadonlyArray<[string, string]>;
  /** Write `ts` blocks whose first line is `// cgi-bin/NAME.ts` into that file, as the reader does. */
  writeFiles?: boolean;
}

/** What a block printed. */
export interface BlockRun {
  block: DocBlock;
  stdout: string;
  /** For a server block: the status of its start page. */
  served?: number;
}

/** Runs `blocks` in order (shell blocks, and with `writeFiles` the files they show). */
export async function runBlocks(blocks: readonly DocBlock[], options: RunOptions): Promise<BlockRun[]> {
  let cwd = options.cwd;
  const runs: BlockRun[] = [];
  for (const block of blocks) {
    if (block.language === 'ts' && options.writeFiles) {
      const file = /^\/\/ (cgi-bin\/\S+\.ts)\n/.exec(block.code)?.[1];
      if (file !== undefined) {
        await mkdir(dirname(join(cwd, file)), { recursive: true });
        await writeFile(join(cwd, file), `${block.code}\n`);
      }
      continue;
    }
    if (!isRunnable(block)) continue;
    let code = block.code;
    for (const [written, run] of options.rewrites ?? []) code = code.split('\n').map((line) => (line === written || line.startsWith(`${written} `) ? run + line.slice(written.length) : line)).join('\n');
    const lines = code.split('\n');
    let last = lines.length - 1;
    while (last > 0 && (lines[last]!.trim() === '' || lines[last]!.trim().startsWith('#'))) last--;
    const serves = /^npx cgi-shim serve\b/.test(lines[last] ?? '');
    const before = serves ? lines.slice(0, last).join('\n') : code;
    const where = `${block.file}:${block.line}`;
    const stateDir = await mkdtemp(join(tmpdir(), 'cgi-shim-docs-'));
    const state = join(stateDir, 'cwd');
    const script = `set -e -o pipefail\ncd ${JSON.stringify(cwd)}\n${before}\necho "$PWD" > ${JSON.stringify(state)}\n`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { env: options.env, maxBuffer: 10 * 1024 * 1024 })
      .catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${where} failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
      });
    cwd = (await readFile(state, 'utf8')).trim();
    await rm(stateDir, { recursive: true, force: true });
    const served = serves ? await serveAndCheck(lines[last]!, cwd, options.env, where) : undefined;
    runs.push({ block, stdout, ...(served === undefined ? {} : { served }) });
  }
  return runs;
}

/** Runs a `cgi-shim serve` command on a free port until it serves; resolves with the status of
 * its start page (redirects followed); then stops it and everything it started. */
async function serveAndCheck(command: string, cwd: string, env: Record<string, string>, where: string): Promise<number> {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd, env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        const match = /^serving (http:\/\/\S+)$/m.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('close', () => reject(new Error(`${where}: ${command} ended before serving:\n${output}`)));
    });
    return (await fetch(url)).status;
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await closed;
  }
}
