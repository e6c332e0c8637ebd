/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The latency distribution as an SVG: one cumulative curve per load (what share of orders had their
// confirmation within x ms), with the p50/p95/p99 of each marked. d3 computes the scales and the path;
// hono/jsx writes the markup (escaped), as the dashboard does.
import { scaleLinear, scaleLog } from "d3-scale";
import { line } from "d3-shape";
import { percentile } from "./stats";

export type LatencySeries = { label: string; valuesMs: number[] };

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { top: 40, right: 24, bottom: 48, left: 56 };
const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea"];

export async function latencyChartSvg(title: string, series: LatencySeries[]): Promise<string> {
  const all = series.flatMap((s) => s.valuesMs).filter((v) => v > 0);
  const x = scaleLog()
    .domain([Math.max(1, Math.min(...all) * 0.8), Math.max(...all) * 1.2])
    .range([MARGIN.left, WIDTH - MARGIN.right])
    .nice();
  const y = scaleLinear()
    .domain([0, 100])
    .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const cumulative = (values: number[]) => {
    const sorted = [...values].filter((v) => v > 0).sort((a, b) => a - b);
    return sorted.map((v, i) => [x(v), y(((i + 1) / sorted.length) * 100)] as [number, number]);
  };
  const path = line().defined(([px]) => Number.isFinite(px));
  const svg = (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      font-family="system-ui, sans-serif"
      font-size="12"
    >
      <rect width={WIDTH} height={HEIGHT} fill="#fff" />
      <text x={MARGIN.left} y={22} font-size="15" font-weight="600">
        {title}
      </text>
      {x.ticks(8).map((t) => (
        <g>
          <line x1={x(t)} x2={x(t)} y1={MARGIN.top} y2={HEIGHT - MARGIN.bottom} stroke="#e5e7eb" />
          <text x={x(t)} y={HEIGHT - MARGIN.bottom + 16} text-anchor="middle" fill="#374151">
            {x.tickFormat(8, "~s")(t)}
          </text>
        </g>
      ))}
      {[0, 25, 50, 75, 95, 99, 100].map((p) => (
        <g>
          <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(p)} y2={y(p)} stroke={p >= 95 && p < 100 ? "#f3f4f6" : "#e5e7eb"} />
          <text x={MARGIN.left - 8} y={y(p) + 4} text-anchor="end" fill="#374151">{`${p}%`}</text>
        </g>
      ))}
      <text x={(MARGIN.left + WIDTH - MARGIN.right) / 2} y={HEIGHT - 10} text-anchor="middle" fill="#111827">
        event accepted → confirmation mail caught (ms, log scale)
      </text>
      {series.map((s, i) => {
        const colour = COLOURS[i % COLOURS.length]!;
        const marks = [50, 95, 99].map((p) => ({ p, v: percentile(s.valuesMs, p) }));
        return (
          <g>
            <path d={path(cumulative(s.valuesMs)) ?? ""} fill="none" stroke={colour} stroke-width="2" />
            {marks.map((m) => (
              <circle cx={x(Math.max(1, m.v))} cy={y(m.p)} r="3.5" fill={colour} />
            ))}
            <text x={WIDTH - MARGIN.right - 8} y={HEIGHT - MARGIN.bottom - 12 - i * 18} text-anchor="end" fill={colour}>
              {`${s.label} (n=${s.valuesMs.length}): p50 ${Math.round(marks[0]!.v)} ms, p95 ${Math.round(marks[1]!.v)} ms, p99 ${Math.round(marks[2]!.v)} ms`}
            </text>
          </g>
        );
      })}
    </svg>
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${await svg.toString()}`;
}
