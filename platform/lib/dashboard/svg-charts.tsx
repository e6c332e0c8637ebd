/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Small charts over a row of minutes, drawn on the server as inline SVG (no script, no chart library: the
// platform's package carries no drawing dependency, and a linear scale is a line of arithmetic). Stacked
// columns for counts, lines for levels and rates; every value also has a <title>, so hovering reads it.
// Labels are text nodes hono/jsx escapes.
import type { Child } from "hono/jsx";

export type ChartSeries = { label: string; colour: string; values: (number | null)[] };

const WIDTH = 600;
const HEIGHT = 200;
const MARGIN = { top: 26, right: 12, bottom: 24, left: 44 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
/** A time label every this many minutes. */
const LABEL_EVERY_MINUTES = 10;
const LEGEND_SPACING = 100;
/** The lowest top a count's scale has: its middle gridline is then a whole number. */
const LEAST_COUNT_TOP = 2;

/** The smallest of 1, 2, 5 × a power of ten at or above `value` (so the top gridline is a round number), at least LEAST_COUNT_TOP. */
function niceCeiling(value: number): number {
  if (!(value > LEAST_COUNT_TOP)) return LEAST_COUNT_TOP;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value - 1e-9)!;
}

const hhmm = (date: Date) => date.toISOString().slice(11, 16);
const round = (n: number) => Math.round(n * 10) / 10;

type Frame = { times: Date[]; yMax: number; format: (value: number) => string };

const xOf = (frame: Frame, index: number) => MARGIN.left + ((index + 0.5) * PLOT_WIDTH) / frame.times.length;
const yOf = (frame: Frame, value: number) => MARGIN.top + PLOT_HEIGHT - (Math.min(value, frame.yMax) / frame.yMax) * PLOT_HEIGHT;

function Axes({ frame, series }: { frame: Frame; series: ChartSeries[] }) {
  return (
    <>
      {[0, frame.yMax / 2, frame.yMax].map((tick) => (
        <g>
          <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={round(yOf(frame, tick))} y2={round(yOf(frame, tick))} stroke="#e5e7eb" />
          <text x={MARGIN.left - 6} y={round(yOf(frame, tick)) + 4} text-anchor="end" fill="#6b7280">
            {frame.format(tick)}
          </text>
        </g>
      ))}
      {frame.times.map((time, index) =>
        time.getUTCMinutes() % LABEL_EVERY_MINUTES === 0 ? (
          <text x={round(xOf(frame, index))} y={HEIGHT - 6} text-anchor="middle" fill="#6b7280">
            {hhmm(time)}
          </text>
        ) : null,
      )}
      {series.map((s, index) => (
        <g>
          <rect x={WIDTH - MARGIN.right - LEGEND_SPACING * (series.length - index)} y={6} width={10} height={10} fill={s.colour} />
          <text x={WIDTH - MARGIN.right - LEGEND_SPACING * (series.length - index) + 14} y={15} fill="#1d2330">
            {s.label}
          </text>
        </g>
      ))}
    </>
  );
}

/** Inline, as the charts' own look: the dashboard's stylesheet stays as it is. */
const FIGURE_STYLE = "margin:0; background:#fff; border:1px solid #e5e7eb; border-radius:8px; padding:.5rem .6rem; min-width:0";
const CAPTION_STYLE = "font-weight:600; margin-bottom:.2rem";

function Frame({ id, title, children }: { id: string; title: string; children: Child }) {
  return (
    <figure class="chart" id={id} style={FIGURE_STYLE}>
      <figcaption style={CAPTION_STYLE}>{title} (UTC)</figcaption>
      <svg
        xmlns="http://www.w3.org/2000/svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        role="img"
        aria-label={title}
        font-family="system-ui, sans-serif"
        font-size="11"
      >
        {children}
      </svg>
    </figure>
  );
}

/** Counts per minute, the series stacked in each column. */
export function ColumnChart({ id, title, times, series }: { id: string; title: string; times: Date[]; series: ChartSeries[] }) {
  const totals = times.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const frame: Frame = {
    times,
    yMax: niceCeiling(Math.max(0, ...totals)),
    format: (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
  };
  const band = PLOT_WIDTH / times.length;
  return (
    <Frame id={id} title={title}>
      <Axes frame={frame} series={series} />
      {times.map((time, i) => {
        let base = 0;
        const described = series.map((s) => `${s.values[i] ?? 0} ${s.label}`).join(", ");
        return (
          <g data-minute={time.toISOString()}>
            <title>{`${hhmm(time)}: ${described}`}</title>
            {series.map((s) => {
              const value = s.values[i] ?? 0;
              if (value === 0) return null;
              const top = yOf(frame, base + value);
              const height = yOf(frame, base) - top;
              base += value;
              return (
                <rect
                  x={round(MARGIN.left + i * band + band * 0.12)}
                  y={round(top)}
                  width={round(band * 0.76)}
                  height={round(height)}
                  fill={s.colour}
                />
              );
            })}
          </g>
        );
      })}
    </Frame>
  );
}

/** Levels per minute, one line per series; a minute without a value (null) breaks its line. */
export function LineChart({
  id,
  title,
  times,
  series,
  yMax,
  format = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1)),
}: {
  id: string;
  title: string;
  times: Date[];
  series: ChartSeries[];
  /** Fixed top (a rate's 100 %); else the largest value rounded up. */
  yMax?: number;
  format?: (value: number) => string;
}) {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const frame: Frame = { times, yMax: yMax ?? niceCeiling(Math.max(0, ...values)), format };
  return (
    <Frame id={id} title={title}>
      <Axes frame={frame} series={series} />
      {series.map((s) => {
        // Runs of consecutive minutes with a value, each its own polyline.
        const runs: number[][] = [];
        s.values.forEach((value, i) => {
          if (value === null) return;
          const last = runs.at(-1);
          if (last && last.at(-1) === i - 1) last.push(i);
          else runs.push([i]);
        });
        return (
          <g>
            {runs.map((indexes) =>
              indexes.length > 1 ? (
                <polyline
                  points={indexes.map((i) => `${round(xOf(frame, i))},${round(yOf(frame, s.values[i]!))}`).join(" ")}
                  fill="none"
                  stroke={s.colour}
                  stroke-width="2"
                />
              ) : null,
            )}
            {s.values.map((value, i) =>
              // A dot where the line changes (or stands alone, or ends): a flat stretch is the line alone.
              value === null || (value === s.values[i - 1] && value === s.values[i + 1]) ? null : (
                <circle cx={round(xOf(frame, i))} cy={round(yOf(frame, value))} r="2.5" fill={s.colour}>
                  <title>{`${hhmm(times[i]!)}: ${format(value)} ${s.label}`}</title>
                </circle>
              ),
            )}
          </g>
        );
      })}
    </Frame>
  );
}

/** Charts side by side where there is room, one above the other on a narrow screen. */
export function ChartGrid({ children }: { children: Child }) {
  return (
    <div style="display:grid; grid-template-columns:repeat(auto-fit, minmax(min(480px, 100%), 1fr)); gap:1rem; margin-bottom:1rem">
      {children}
    </div>
  );
}

/** One task's p50 and p95 as two bars on a scale shared by every task's row (`max`: the largest p95). */
export function DurationBars({ p50Ms, p95Ms, max }: { p50Ms: number | null; p95Ms: number | null; max: number }) {
  const width = 160;
  const scale = (ms: number | null) => (ms === null || max <= 0 ? 0 : round((Math.min(ms, max) / max) * width));
  return (
    <svg class="duration-bars" xmlns="http://www.w3.org/2000/svg" viewBox={`0 0 ${width} 14`} width={width} height="14" aria-hidden="true">
      <rect x="0" y="1" width={scale(p95Ms)} height="12" fill="#c7d2fe" />
      <rect x="0" y="1" width={scale(p50Ms)} height="12" fill="#4f46e5" />
    </svg>
  );
}
