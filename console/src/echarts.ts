// The parts of ECharts the console uses, and nothing else (tree-shaken by the build).
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init as initChart, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export const init = (el: HTMLElement) => initChart(el, undefined, { renderer: 'canvas' });
