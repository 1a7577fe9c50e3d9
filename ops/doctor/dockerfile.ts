// Dockerfile instructions with continuation lines joined.
export interface Instruction {
  line: number;
  keyword: string;
  args: string;
  raw: string;
}

export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  lines.forEach((l, i) => {
    if (!buf) start = i + 1;
    if (/^\s*#/.test(l) && !buf) return;
    buf += buf ? ` ${l.trim()}` : l.trim();
    if (/\\\s*$/.test(l)) {
      buf = buf.replace(/\\\s*$/, '');
      return;
    }
    const m = buf.match(/^(\w+)\s*(.*)$/);
    if (m)
      out.push({
        line: start,
        keyword: (m[1] as string).toUpperCase(),
        args: m[2] as string,
        raw: buf,
      });
    buf = '';
  });
  return out;
}
