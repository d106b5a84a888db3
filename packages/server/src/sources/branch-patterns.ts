// Branch patterns as GitHub Actions writes them: `*` matches within one path segment, `**` across
// segments, `?` one character; a pattern starting with `!` excludes what it matches. A branch is
// chosen when some pattern includes it and no later exclusion removes it.

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether the branch is chosen by the patterns, applied in order (later ones win). */
export function branchMatches(branch: string, patterns: readonly string[]): boolean {
  let chosen = false;
  for (const pattern of patterns) {
    const exclude = pattern.startsWith('!');
    if (toRegExp(exclude ? pattern.slice(1) : pattern).test(branch)) chosen = !exclude;
  }
  return chosen;
}
