// The root Dockerfile's instructions: continuation lines joined, comments and
// blank lines left out, each split into its keyword and its arguments.
import type { Repo } from './repo.ts';

export function instructions(repo: Repo): Array<{ text: string; keyword: string; args: string }> {
  return (repo.read('Dockerfile') ?? '')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .filter((l) => !/^\s*(#|$)/.test(l))
    .map((text) => {
      const [, keyword = '', args = ''] = /^\s*(\w+)\s*(.*)$/.exec(text) ?? [];
      return { text: text.trim(), keyword: keyword.toUpperCase(), args };
    });
}
