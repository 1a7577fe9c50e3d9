// Minimal .gitignore and .dockerignore matchers, enough to answer "is this
// key file excluded?". They differ on one point that matters here: a
// .gitignore pattern without a slash matches at any depth, a .dockerignore
// pattern is anchored at the context root ("*-key.json" misses
// "deploy/x-key.json"; "**/*-key.json" catches it).

function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end > i) {
        re += glob.slice(i, end + 1).replace('[!', '[^');
        i = end;
      } else re += '\\[';
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return re;
}

interface Rule {
  negate: boolean;
  re: RegExp;
}

function rules(text: string, anchoredAlways: boolean): Rule[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      let p = negate ? l.slice(1) : l;
      p = p.replace(/^\.\//, '');
      const dirOnly = p.endsWith('/');
      p = p.replace(/\/+$/, '');
      const anchored = anchoredAlways || p.includes('/');
      p = p.replace(/^\//, '');
      const body = globToRegex(p);
      // A matching directory excludes everything below it.
      const re = new RegExp(
        `^${anchored ? '' : '(?:.*/)?'}${body}${dirOnly ? '/.*' : '(?:/.*)?'}$`,
      );
      return { negate, re };
    });
}

function matcher(list: Rule[]): (path: string) => boolean {
  return (path: string) => {
    let excluded = false;
    for (const r of list) if (r.re.test(path)) excluded = !r.negate;
    return excluded;
  };
}

export function dockerignore(text: string | null): (path: string) => boolean {
  return matcher(rules(text ?? '', true));
}

export function gitignore(text: string | null): (path: string) => boolean {
  return matcher(rules(text ?? '', false));
}
