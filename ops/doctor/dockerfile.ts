// Dockerfile instructions with continuation lines joined and comments dropped.
export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(#|$)/.test(line)) return;
    if (!buf) start = i + 1;
    buf += ` ${line.trim()}`;
    if (buf.endsWith('\\')) buf = buf.slice(0, -1);
    else {
      const [, keyword = '', args = ''] = /^\s*(\w+)\s*(.*)$/.exec(buf) ?? [];
      out.push({ line: start, keyword: keyword.toUpperCase(), args });
      buf = '';
    }
  });
  return out;
}
