import { useEffect, useState } from 'preact/hooks';
import { RangeSelect } from '../components';
import { formatRoute, type ListView, type ViewParams } from '../lib/route';

export interface FilterField {
  key: string;
  label: string;
  /** A select applies at once; text applies on Enter or Apply. */
  options?: Array<[value: string, label: string]>;
  placeholder?: string;
  size?: number;
  grow?: boolean;
}

export function goList(view: ListView, params: ViewParams) {
  location.hash = formatRoute({ view, params });
}

/** The filter bar of a list view: its fields and the time range, all kept in the URL. */
export function FilterForm(props: {
  view: ListView;
  params: ViewParams;
  fields: FilterField[];
  label: string;
  /** What no time range means for this view (default: all time). */
  allTime?: string;
}) {
  const { view, params, fields } = props;
  const texts = fields.filter((f) => !f.options);
  const [draft, setDraft] = useState<ViewParams>({});
  const textKey = texts.map((f) => params[f.key] ?? '').join('\u0000');
  useEffect(() => {
    const next: ViewParams = {};
    for (const f of texts) next[f.key] = params[f.key] ?? '';
    setDraft(next);
    // Reset the typed text when the URL changes (back/forward, a followed link).
  }, [textKey]);
  const set = (patch: Record<string, string | undefined>) => {
    const next: ViewParams = { ...params };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || v === '') delete next[k];
      else next[k] = v;
    }
    goList(view, next);
  };
  const hasAny = Object.keys(params).length > 0;
  return (
    <form
      class="filters"
      aria-label={props.label}
      onSubmit={(e) => {
        e.preventDefault();
        const patch: Record<string, string | undefined> = {};
        for (const f of texts) patch[f.key] = draft[f.key]?.trim() || undefined;
        set(patch);
      }}
    >
      {fields.map((f) =>
        f.options ? (
          <label key={f.key}>
            <span>{f.label}</span>
            <select
              name={f.key}
              value={params[f.key] ?? ''}
              onChange={(e) => set({ [f.key]: e.currentTarget.value })}
            >
              {f.options.map(([value, text]) => (
                <option value={value} key={value}>
                  {text}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label key={f.key} class={f.grow ? 'grow' : undefined}>
            <span>{f.label}</span>
            <input
              name={f.key}
              type={f.grow ? 'search' : 'text'}
              size={f.size ?? 14}
              placeholder={f.placeholder}
              value={draft[f.key] ?? ''}
              onInput={(e) => {
                const value = e.currentTarget.value;
                setDraft((d) => ({ ...d, [f.key]: value }));
              }}
            />
          </label>
        ),
      )}
      <RangeSelect
        range={params.range}
        custom={params.from !== undefined || params.to !== undefined}
        onChange={(range) => set({ range, from: undefined, to: undefined })}
        allTime={props.allTime}
      />
      <div class="filter-actions">
        <button type="submit">Apply</button>
        {hasAny && (
          <a class="button secondary" href={`#/${view}`}>
            Clear
          </a>
        )}
      </div>
    </form>
  );
}
