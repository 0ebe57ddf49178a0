// A chart drawn with Apache ECharts, loaded on first use (its own chunk, not in the
// initial JavaScript), with only the parts the console draws: bar and line charts on canvas.
import { useEffect, useRef } from 'preact/hooks';

type EChartsOption = Record<string, unknown>;

/** A performance mark: when the page's first chart was first drawn with its data. */
export const FIRST_CHART = 'dfix:first-chart';

let loading: Promise<typeof import('./echarts')> | null = null;
const echarts = () => (loading ??= import('./echarts'));

export function Chart(props: { option: EChartsOption; label: string; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let dispose: (() => void) | undefined;
    let live = true;
    void echarts().then((e) => {
      if (!live || !el.current) return;
      const chart = e.init(el.current);
      // tooltips drawn on the canvas: ECharts' HTML tooltips use inline styles, which the
      // console's Content-Security-Policy (style-src 'self') refuses
      const tooltip = props.option.tooltip as Record<string, unknown> | undefined;
      // the page's first chart drawn with data, for the browser test's time-to-first-chart
      if (performance.getEntriesByName(FIRST_CHART).length === 0) {
        const onRendered = () => {
          chart.off('rendered', onRendered);
          if (performance.getEntriesByName(FIRST_CHART).length === 0) performance.mark(FIRST_CHART);
        };
        chart.on('rendered', onRendered);
      }
      chart.setOption({ ...props.option, ...(tooltip ? { tooltip: { ...tooltip, renderMode: 'richText' } } : {}) });
      const onResize = () => chart.resize();
      window.addEventListener('resize', onResize);
      dispose = () => {
        window.removeEventListener('resize', onResize);
        chart.dispose();
      };
    });
    return () => {
      live = false;
      dispose?.();
    };
  }, [JSON.stringify(props.option)]);
  return <div ref={el} class="chart" role="img" aria-label={props.label} style={{ height: `${props.height ?? 260}px` }} />;
}
