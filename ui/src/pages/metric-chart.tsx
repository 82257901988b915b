import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface Props {
  label: string;
  steps: readonly number[];
  values: readonly number[];
}

const HEIGHT = 260;

/**
 * A metric's value by step, drawn by uPlot on a canvas (fast for 100k points). Points are ordered by step,
 * as uPlot needs; NaN and infinities are gaps. The canvas is described for screen readers by its label.
 */
export function MetricChart({ label, steps, values }: Props) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const order = steps.map((_, index) => index).sort((a, b) => steps[a]! - steps[b]!);
    const xs = order.map((index) => steps[index]!);
    const ys = order.map((index) => (Number.isFinite(values[index]) ? values[index]! : null));
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: HEIGHT,
        scales: { x: { time: false } },
        series: [{ label: 'step' }, { label, stroke: '#1f6feb', width: 2, points: { show: xs.length < 60 } }],
        axes: [{ label: 'step' }, {}],
        legend: { show: false },
      },
      [xs, ys],
      element,
    );
    const fit = () => chart.setSize({ width: Math.max(320, element.clientWidth), height: HEIGHT });
    const resize = new ResizeObserver(fit);
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [label, steps, values]);

  const first = steps.reduce((low, step) => Math.min(low, step), steps[0] ?? 0);
  const last = steps.reduce((high, step) => Math.max(high, step), steps[0] ?? 0);
  return (
    <figure className="chart">
      <div
        ref={box}
        role="img"
        aria-label={`${label} by step: ${steps.length} points, steps ${first} to ${last}`}
        data-points={steps.length}
      />
      <figcaption className="muted">
        {label}: {steps.length} points
      </figcaption>
    </figure>
  );
}
