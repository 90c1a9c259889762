// Keyboard navigation in lists: j/k or the arrow keys move, Home/End jump. Pure: test/keys.test.ts.

/** The selected index after `key` in a list of `count` rows (-1: nothing selected yet); null: not a move key. */
export function moveSelection(current: number, key: string, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'j':
    case 'ArrowDown':
      return current < 0 ? 0 : Math.min(count - 1, current + 1);
    case 'k':
    case 'ArrowUp':
      return current < 0 ? 0 : Math.max(0, current - 1);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** Keys typed into a form field belong to the field, not to list navigation. */
export function isTypingTarget(target: { tagName?: string; isContentEditable?: boolean } | null): boolean {
  if (!target) return false;
  const tag = (target.tagName ?? '').toUpperCase();
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable === true;
}
