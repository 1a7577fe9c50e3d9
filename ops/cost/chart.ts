// The cost chart: monthly cost against requests per month (log scale), one
// line per option, the break-even points marked, the inputs in the caption.
// Vega-Lite compiles the spec and Vega renders it to SVG in Node; both are
// loaded only here, so the rest of the CLI does not need them.
import type { TopLevelSpec } from 'vega-lite';
import type { breakEven, Load, sweep } from './model.ts';

export interface ChartData {
  sweep: ReturnType<typeof sweep>;
  breakEven: ReturnType<typeof breakEven>;
  load: Load;
  caption: string[];
}

const compact = (n: number) => Intl.NumberFormat('en', { notation: 'compact' }).format(n);

export async function renderChart(data: ChartData): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const x = {
    field: 'requests',
    type: 'quantitative' as const,
    scale: { type: 'log' as const },
    axis: { format: '~s', title: 'requests per month (log scale)' },
  };
  // symlog keeps $0 (a free tier) on a scale that spans cents to thousands
  const y = {
    field: 'usd',
    type: 'quantitative' as const,
    scale: { type: 'symlog' as const, domainMin: 0 },
    axis: { values: [0, 1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5], title: 'USD a month' },
  };
  const lines = data.sweep.flatMap((p) =>
    p.options.map((o) => ({ requests: p.requests, usd: o.monthly_usd, option: o.label })),
  );
  const marks = data.breakEven.map((b) => ({
    requests: b.requests_per_month,
    usd: b.usd,
    label: compact(b.requests_per_month),
    between: b.between.join(' = '),
  }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 640,
    height: 380,
    title: {
      text: `Monthly cost by traffic (dashed: this load, ${compact(data.load.requestsPerMonth)} requests a month)`,
      subtitle: data.caption,
      anchor: 'start',
    },
    layer: [
      {
        name: 'options',
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: {
            field: 'option',
            type: 'nominal',
            legend: { orient: 'bottom', columns: 2, labelLimit: 0, title: null },
          },
        },
      },
      {
        name: 'break_even',
        data: { values: marks },
        mark: { type: 'point', shape: 'diamond', filled: true, size: 90, color: 'black' },
        encoding: { x, y, tooltip: [{ field: 'between' }, { field: 'requests', format: ',.0f' }] },
      },
      {
        name: 'break_even_labels',
        data: { values: marks },
        mark: { type: 'text', dy: -12, fontSize: 10 },
        encoding: { x, y, text: { field: 'label' } },
      },
      {
        name: 'this_load',
        data: { values: [{ requests: data.load.requestsPerMonth }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { x },
      },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
