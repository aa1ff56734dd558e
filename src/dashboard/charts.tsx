/**
 * Charts drawn on the server as SVG: no client script, readable by screen readers (role="img"
 * with <title>/<desc> linked by aria-labelledby), and each followed by its data as a table.
 * Pure functions of their series; geometry is computed here so tests can check it. Table cells
 * carry each value in `<data data-figure>` so tests can compare them with the metrics API.
 */
import type { Child } from 'hono/jsx'
import { dayLabel, formatPence, formatPoundsCompact, monthLabel } from './format'

export type DailyPoint = { date: string; missed: number; recovered: number }
export type MonthlyPoint = { month: string; revenuePence: number }

const W = 720
const H = 240
const PAD = { top: 16, right: 12, bottom: 28, left: 56 }

/** The scrollable SVG every chart draws in: its accessible title and description, and the grid. */
function ChartSvg(props: {
  id: string
  title: string
  desc: string
  max: number
  y: (v: number) => number
  tickLabel: (v: number) => string
  children: Child
}) {
  const { id, y } = props
  return (
    // On a narrow screen the chart is wider than the page: the scroll box starts at its right
    // end (rtl box, ltr content), so the latest days show first without any script.
    <section
      class="chart-scroll from-end"
      tabindex={0}
      aria-label="Chart, latest on the right; scrolls sideways on small screens"
    >
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>{props.title}</title>
        <desc id={`${id}-desc`}>{props.desc}</desc>
        {ticks(props.max).map((t) => (
          <g>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text class="axis" x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {props.tickLabel(t)}
            </text>
          </g>
        ))}
        {props.children}
      </svg>
    </section>
  )
}

/** A "nice" ceiling for the y axis so gridlines land on round numbers. */
export function niceMax(value: number): number {
  if (value <= 0) return 1
  const pow = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * pow >= value) return step * pow
  }
  return 10 * pow
}

/**
 * The plot's geometry for `count` slots on a y axis up to `max`: each slot's width, a bar's width
 * (a `share` of the slot, at least `minBar`), and the y of a value.
 */
function plotGeometry(count: number, max: number, share: number, minBar: number) {
  const innerW = W - PAD.left - PAD.right
  const innerH = H - PAD.top - PAD.bottom
  const slot = innerW / Math.max(1, count)
  return {
    slot,
    bar: Math.max(minBar, slot * share),
    y: (v: number) => PAD.top + innerH - (v / max) * innerH,
  }
}

/** One bar from the baseline up to `value`, with its tooltip. */
function Bar(props: {
  class: string
  x: number
  width: number
  value: number
  y: (v: number) => number
  title: string
}) {
  const { y, value } = props
  return (
    <rect class={props.class} x={props.x} y={y(value)} width={props.width} height={y(0) - y(value)}>
      <title>{props.title}</title>
    </rect>
  )
}

/** One bar per series of a point: its class, its value and its tooltip text after the label. */
type Series<P> = { class: string; value: (p: P) => number; title: (p: P) => string }

/**
 * A group of side-by-side bars per point from `start(i)`, and the point's axis label centred
 * under the group (every `labelEvery`th point, so long ranges stay legible).
 */
function BarGroups<P>(props: {
  points: readonly P[]
  series: readonly Series<P>[]
  start: (i: number) => number
  width: number
  y: (v: number) => number
  label: (p: P) => string
  tooltipLabel?: (p: P) => string
  labelEvery?: number
}) {
  const { width, y } = props
  const every = props.labelEvery ?? 1
  return (
    <>
      {props.points.map((p, i) => {
        const x = props.start(i)
        const named = (props.tooltipLabel ?? props.label)(p)
        return (
          <g>
            {props.series.map((s, k) => (
              <Bar
                class={s.class}
                x={x + k * width}
                width={width}
                value={s.value(p)}
                y={y}
                title={`${named}: ${s.title(p)}`}
              />
            ))}
            {i % every === 0 ? (
              <text
                class="axis"
                x={x + (width * props.series.length) / 2}
                y={H - 8}
                text-anchor="middle"
              >
                {props.label(p)}
              </text>
            ) : null}
          </g>
        )
      })}
    </>
  )
}

/** The chart's figures as a table, folded under the chart (screen readers and tests read it). */
function DataTableDetails(props: { caption: string; head: readonly string[]; children: Child }) {
  return (
    <details>
      <summary>Show the data as a table</summary>
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </details>
  )
}

function ticks(max: number, count = 4): number[] {
  return Array.from({ length: count + 1 }, (_, i) => (max / count) * i)
}

/** Missed vs recovered per day: paired bars, missed in one colour, recovered in another. */
export function DailyChart(props: { id: string; points: DailyPoint[] }) {
  const { id, points } = props
  const max = niceMax(Math.max(1, ...points.map((p) => Math.max(p.missed, p.recovered))))
  const { slot, bar, y } = plotGeometry(points.length, max, 0.38, 1)
  const totalMissed = points.reduce((s, p) => s + p.missed, 0)
  const totalRecovered = points.reduce((s, p) => s + p.recovered, 0)
  const labelEvery = Math.max(1, Math.ceil(points.length / 6))
  return (
    <figure class="chart">
      <figcaption id={`${id}-caption`}>Missed calls and recovered appointments per day</figcaption>
      <ChartSvg
        id={id}
        title="Missed calls vs recovered appointments, daily"
        desc={`Over ${points.length} days: ${totalMissed} missed calls and ${totalRecovered} recovered appointments. The table below lists each day.`}
        max={max}
        y={y}
        tickLabel={(t) => String(Math.round(t))}
      >
        <BarGroups
          points={points}
          start={(i) => PAD.left + i * slot + slot * 0.1}
          width={bar}
          y={y}
          series={[
            { class: 'bar-missed', value: (p) => p.missed, title: (p) => `${p.missed} missed` },
            {
              class: 'bar-recovered',
              value: (p) => p.recovered,
              title: (p) => `${p.recovered} recovered`,
            },
          ]}
          label={(p) => dayLabel(p.date)}
          labelEvery={labelEvery}
        />
      </ChartSvg>
      <ul class="legend" aria-hidden="true">
        <li>
          <span class="swatch swatch-missed" /> Missed
        </li>
        <li>
          <span class="swatch swatch-recovered" /> Recovered
        </li>
      </ul>
      <DataTableDetails
        caption="Missed and recovered per day"
        head={['Day', 'Missed', 'Recovered']}
      >
        {points.map((p) => (
          <tr data-date={p.date}>
            <th scope="row">{dayLabel(p.date)}</th>
            <td>
              <data data-figure="missedCalls" value={String(p.missed)}>
                {p.missed}
              </data>
            </td>
            <td>
              <data data-figure="recoveredAppointments" value={String(p.recovered)}>
                {p.recovered}
              </data>
            </td>
          </tr>
        ))}
      </DataTableDetails>
    </figure>
  )
}

/** Recovered revenue per month as bars labelled in pounds. */
export function MonthlyRevenueChart(props: { id: string; points: MonthlyPoint[] }) {
  const { id, points } = props
  const max = niceMax(Math.max(100, ...points.map((p) => p.revenuePence)))
  const { slot, bar, y } = plotGeometry(points.length, max, 0.6, 2)
  const total = points.reduce((s, p) => s + p.revenuePence, 0)
  return (
    <figure class="chart">
      <figcaption>Recovered revenue per month</figcaption>
      <ChartSvg
        id={id}
        title="Recovered revenue, monthly"
        desc={`${formatPence(total)} recovered over ${points.length} months. The table below lists each month.`}
        max={max}
        y={y}
        tickLabel={formatPoundsCompact}
      >
        <BarGroups
          points={points}
          start={(i) => PAD.left + i * slot + (slot - bar) / 2}
          width={bar}
          y={y}
          series={[
            {
              class: 'bar-revenue',
              value: (p) => p.revenuePence,
              title: (p) => formatPence(p.revenuePence),
            },
          ]}
          label={(p) => monthLabel(p.month).slice(0, 3)}
          tooltipLabel={(p) => monthLabel(p.month)}
        />
      </ChartSvg>
      <DataTableDetails caption="Recovered revenue per month" head={['Month', 'Recovered revenue']}>
        {points.map((p) => (
          <tr data-month={p.month}>
            <th scope="row">{monthLabel(p.month)}</th>
            <td>
              <data data-figure="recoveredRevenuePence" value={String(p.revenuePence)}>
                {formatPence(p.revenuePence)}
              </data>
            </td>
          </tr>
        ))}
      </DataTableDetails>
    </figure>
  )
}
