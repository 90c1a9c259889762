/** One frame in Sentry's event format (oldest call first in `frames`). */
export interface StackFrame {
  filename?: string;
  module?: string;
  function?: string;
  lineno?: number;
  colno?: number;
  in_app: boolean;
}

// `    at fn (file:line:col)`, `    at file:line:col`, `    at async fn (…)`, `    at new Foo (…)`.
const FRAME = /^\s*at (?:(async )?(.*?) \()?(.+?):(\d+):(\d+)\)?\s*$/;
const NATIVE = /^\s*at (?:(.*?) \()?(native|<anonymous>|node:[^)]*)\)?\s*$/;
const MAX_FRAMES = 50;

function moduleOf(filename: string): string | undefined {
  const nm = filename.lastIndexOf('/node_modules/');
  const path = nm >= 0 ? filename.slice(nm + 14) : filename.slice(filename.lastIndexOf('/') + 1);
  const withoutExt = path.replace(/\.(c|m)?(j|t)sx?$/, '');
  return withoutExt === '' ? undefined : withoutExt.replace(/\//g, '.');
}

/** Parses a V8 stack into frames, oldest first (Sentry's order), at most 50 (the newest are kept). */
export function parseStack(stack: string | undefined): StackFrame[] {
  if (typeof stack !== 'string') return [];
  const frames: StackFrame[] = [];
  for (const line of stack.split('\n')) {
    const match = FRAME.exec(line);
    if (match !== null) {
      let filename = match[3]!;
      if (filename.startsWith('file://')) filename = decodeURIComponent(filename.slice(7));
      const internal = filename.startsWith('node:') || !filename.includes('/');
      const frame: StackFrame = {
        filename,
        function: match[2] === undefined || match[2] === '' ? '?' : match[2],
        lineno: Number(match[4]),
        colno: Number(match[5]),
        in_app: !internal && !filename.includes('/node_modules/'),
      };
      const module = internal ? undefined : moduleOf(filename);
      if (module !== undefined) frame.module = module;
      frames.push(frame);
    } else {
      const native = NATIVE.exec(line);
      if (native !== null) frames.push({ filename: native[2], function: native[1] ?? '?', in_app: false });
    }
    if (frames.length >= MAX_FRAMES) break;
  }
  return frames.reverse();
}
