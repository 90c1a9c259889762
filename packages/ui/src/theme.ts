import { useEffect, useState } from 'preact/hooks';

// Light or dark: the system's preference unless the person chose one with the toggle (kept in localStorage).

export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'sieve-theme';
const EVENT = 'sieve-theme';

export function storedChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Sets the `data-theme` attribute the CSS reads (absent: follow prefers-color-scheme). */
export function applyChoice(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  dispatchEvent(new Event(EVENT));
}

function resolved(): 'light' | 'dark' {
  const choice = storedChoice();
  if (choice !== 'system') return choice;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The theme in effect, updated when the system preference or the toggle changes. */
export function useResolvedTheme(): 'light' | 'dark' {
  const [theme, setTheme] = useState(resolved);
  useEffect(() => {
    const media = matchMedia('(prefers-color-scheme: dark)');
    const update = () => setTheme(resolved());
    media.addEventListener('change', update);
    addEventListener(EVENT, update);
    return () => {
      media.removeEventListener('change', update);
      removeEventListener(EVENT, update);
    };
  }, []);
  return theme;
}
